#include "daemon/store/audit_table.h"

#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

AuditRecord RowToAudit(const sqlite::Stmt& s) {
  AuditRecord r;
  r.seq = static_cast<uint64_t>(s.Int(0));
  r.at = s.Int(1);
  r.kind = s.Text(2);
  r.actor = s.Text(3);
  r.customer_id = s.Text(4);
  r.payload_json = s.Text(5);
  r.prev_hash = s.Text(6);
  r.hash = s.Text(7);
  return r;
}

// The head anchor (seq 0 and the genesis hash when there is none).
absl::StatusOr<ChainHead> ReadAnchor(sqlite::Connection& db) {
  ASSIGN_OR_RETURN(sqlite::Stmt h,
                   db.Prepare("SELECT seq, hash FROM audit_head WHERE id = 1"));
  ASSIGN_OR_RETURN(bool has_anchor, h.Step());
  ChainHead anchor;
  if (has_anchor) {
    anchor.seq = static_cast<uint64_t>(h.Int(0));
    anchor.hash = h.Text(1);
  }
  return anchor;
}

}  // namespace

absl::Status InsertAuditRow(sqlite::Connection& db, const AuditRecord& r) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT INTO audit(seq, at, kind, actor, customer_id, "
                 "payload_json, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, static_cast<int64_t>(r.seq))
      .Bind(2, r.at)
      .Bind(3, r.kind)
      .Bind(4, r.actor)
      .Bind(5, r.customer_id)
      .Bind(6, r.payload_json)
      .BindBlob(7, r.prev_hash)
      .BindBlob(8, r.hash);
  return s.Run();
}

absl::Status UpdateAuditHead(sqlite::Connection& db, const ChainHead& head) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT INTO audit_head(id, seq, hash) VALUES(1, ?, ?) "
                 "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = "
                 "excluded.hash"));
  s.Bind(1, static_cast<int64_t>(head.seq)).BindBlob(2, head.hash);
  return s.Run();
}

absl::StatusOr<ChainHead> LoadAuditHead(sqlite::Connection& db) {
  ASSIGN_OR_RETURN(ChainHead anchor, ReadAnchor(db));
  ASSIGN_OR_RETURN(
      sqlite::Stmt last,
      db.Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                 "prev_hash, hash FROM audit ORDER BY seq DESC LIMIT 1"));
  ASSIGN_OR_RETURN(bool has_last, last.Step());
  if (!has_last) {
    if (anchor.seq != 0) {
      return absl::DataLossError(
          StrCat("audit log is empty but its head anchor says ", anchor.seq,
                 " entries; run gkctl audit verify"));
    }
    return anchor;
  }
  const AuditRecord r = RowToAudit(last);
  if (r.seq != anchor.seq || r.hash != anchor.hash) {
    return absl::DataLossError(StrCat("audit log ends at entry ", r.seq,
                                      " but its head anchor says ", anchor.seq,
                                      "; the log was truncated or altered"));
  }
  if (ComputeEntryHash(r) != r.hash) {
    return absl::DataLossError(
        StrCat("audit entry ", r.seq,
               " does not match its hash; the log was altered"));
  }
  return anchor;
}

absl::StatusOr<std::optional<AuditRecord>> ReadAuditEntry(
    sqlite::Connection& db, uint64_t seq) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt e,
      db.Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                 "prev_hash, hash FROM audit WHERE seq = ?"));
  e.Bind(1, static_cast<int64_t>(seq));
  ASSIGN_OR_RETURN(bool row, e.Step());
  if (!row) return std::optional<AuditRecord>();
  return std::optional<AuditRecord>(RowToAudit(e));
}

absl::Status ScanAuditRange(sqlite::Connection& db, uint64_t after_seq,
                            uint32_t limit,
                            const std::function<bool(const AuditRecord&)>& fn) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                 "prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq "
                 "LIMIT ?2"));
  s.Bind(1, static_cast<int64_t>(after_seq))
      .Bind(2, static_cast<int64_t>(limit));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || !fn(RowToAudit(s))) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyResult> VerifyAuditTable(
    sqlite::Connection& db,
    const std::function<std::string(const AuditRecord&)>& check,
    const std::optional<ChainHead>& start,
    const std::function<std::string(const AuditRecord&)>& below) {
  ChainVerifier verifier =
      start.has_value() ? ChainVerifier(*start) : ChainVerifier();
  VerifyResult content;  // the first entry `check` found wrong
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                 "prev_hash, hash FROM audit ORDER BY seq"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const AuditRecord r = RowToAudit(s);
    if (start.has_value() && r.seq <= start->seq) {
      if (content.ok && below) {
        if (std::string wrong = below(r); !wrong.empty()) {
          content.ok = false;
          content.first_bad_seq = r.seq;
          content.detail = std::move(wrong);
        }
      }
      continue;
    }
    if (!verifier.Feed(r)) break;
    if (content.ok && check) {
      if (std::string wrong = check(r); !wrong.empty()) {
        content.ok = false;
        content.first_bad_seq = r.seq;
        content.detail = std::move(wrong);
      }
    }
  }
  ASSIGN_OR_RETURN(ChainHead anchor, ReadAnchor(db));
  VerifyResult result = verifier.Finish(anchor);
  // The chain's own break comes first when it is earlier.
  if (!content.ok &&
      (result.ok || content.first_bad_seq < result.first_bad_seq)) {
    result.ok = false;
    result.first_bad_seq = content.first_bad_seq;
    result.detail = content.detail;
  }
  return result;
}

}  // namespace gatekeeper

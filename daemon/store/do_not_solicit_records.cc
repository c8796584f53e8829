#include "daemon/store/do_not_solicit_records.h"

#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

#define GK_DNC_COLUMNS                                                        \
  "entry_id, customer_id, phone_hmac, phone_masked, company_id, "             \
  "goods_type, all_goods, created_at, source, decision_id, agent_id, "        \
  "audit_seq, cleared_at, cleared_evidence_ref, cleared_by, cleared_reason, " \
  "cleared_audit_seq"

StoredDoNotSolicit RowToEntry(const sqlite::Stmt& s) {
  StoredDoNotSolicit out;
  v1::DoNotSolicitEntry& e = out.entry;
  e.set_entry_id(s.Text(0));
  e.set_customer_id(s.Text(1));
  out.phone_pseudonym = s.IsNull(2) ? std::string() : s.Text(2);
  e.set_phone_masked(s.Text(3));
  e.set_company_id(s.Text(4));
  e.set_goods_type(s.Text(5));
  e.set_all_goods_types(s.Int(6) != 0);
  *e.mutable_created_at() = FromMicros(s.Int(7));
  e.set_source(static_cast<v1::CallOutcome>(s.Int(8)));
  e.set_decision_id(s.Text(9));
  e.set_agent_id(s.Text(10));
  e.set_audit_seq(static_cast<uint64_t>(s.Int(11)));
  e.set_active(s.IsNull(12));
  if (!s.IsNull(12)) {
    *e.mutable_cleared_at() = FromMicros(s.Int(12));
    e.set_cleared_evidence_ref(s.Text(13));
    e.set_cleared_by(s.Text(14));
    e.set_cleared_reason(s.Text(15));
    e.set_cleared_audit_seq(static_cast<uint64_t>(s.Int(16)));
  }
  return out;
}

DoNotSolicitFact ToFact(const StoredDoNotSolicit& s) {
  return {s.entry.entry_id(),   s.entry.customer_id(),
          s.phone_pseudonym,    s.entry.company_id(),
          s.entry.goods_type(), s.entry.all_goods_types()};
}

absl::StatusOr<std::vector<StoredDoNotSolicit>> ReadRows(sqlite::Stmt& s) {
  std::vector<StoredDoNotSolicit> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(RowToEntry(s));
  }
  return out;
}

}  // namespace

absl::Status InsertDoNotSolicit(WriteContext& w, const v1::DoNotSolicitEntry& e,
                                std::string_view phone_pseudonym) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      w.db().Prepare("INSERT INTO do_not_solicit(entry_id, customer_id, "
                     "phone_hmac, phone_masked, company_id, goods_type, "
                     "all_goods, created_at, source, decision_id, agent_id, "
                     "audit_seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, e.entry_id()).Bind(2, e.customer_id());
  if (phone_pseudonym.empty()) {
    s.BindNull(3);
  } else {
    s.BindBlob(3, phone_pseudonym);
  }
  s.Bind(4, e.phone_masked())
      .Bind(5, e.company_id())
      .Bind(6, e.goods_type())
      .Bind(7, static_cast<int64_t>(e.all_goods_types() ? 1 : 0))
      .Bind(8, ToMicros(e.created_at()))
      .Bind(9, static_cast<int64_t>(e.source()))
      .Bind(10, e.decision_id())
      .Bind(11, e.agent_id())
      .Bind(12, static_cast<int64_t>(e.audit_seq()));
  RETURN_IF_ERROR(s.Run());
  StoredDoNotSolicit stored{e, std::string(phone_pseudonym)};
  w.pending().do_not_solicit.push_back({ToFact(stored), /*cleared=*/false});
  w.Touch(CustomerKey(e.customer_id()));
  if (!phone_pseudonym.empty()) w.Touch(PhoneKey(phone_pseudonym));
  return absl::OkStatus();
}

absl::Status MarkDoNotSolicitCleared(WriteContext& w,
                                     const v1::DoNotSolicitEntry& e,
                                     std::string_view phone_pseudonym) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   w.db().Prepare("UPDATE do_not_solicit SET cleared_at = ?, "
                                  "cleared_evidence_ref = ?, cleared_by = ?, "
                                  "cleared_reason = ?, cleared_audit_seq = ? "
                                  "WHERE entry_id = ? AND cleared_at IS NULL"));
  s.Bind(1, ToMicros(e.cleared_at()))
      .Bind(2, e.cleared_evidence_ref())
      .Bind(3, e.cleared_by())
      .Bind(4, e.cleared_reason())
      .Bind(5, static_cast<int64_t>(e.cleared_audit_seq()))
      .Bind(6, e.entry_id());
  RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(w.db().raw()) != 1) {
    return absl::FailedPreconditionError(
        StrCat("entry_id: ", e.entry_id(), " is not active"));
  }
  StoredDoNotSolicit stored{e, std::string(phone_pseudonym)};
  w.pending().do_not_solicit.push_back({ToFact(stored), /*cleared=*/true});
  w.Touch(CustomerKey(e.customer_id()));
  if (!phone_pseudonym.empty()) w.Touch(PhoneKey(phone_pseudonym));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredDoNotSolicit>> ReadDoNotSolicit(
    sqlite::Connection& db, std::string_view entry_id) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT " GK_DNC_COLUMNS
                              " FROM do_not_solicit WHERE entry_id = ?"));
  s.Bind(1, entry_id);
  ASSIGN_OR_RETURN(auto rows, ReadRows(s));
  if (rows.empty()) return std::optional<StoredDoNotSolicit>();
  return std::optional<StoredDoNotSolicit>(std::move(rows[0]));
}

absl::StatusOr<std::vector<v1::DoNotSolicitEntry>> ListDoNotSolicitRows(
    sqlite::Connection& db, std::string_view customer_id,
    std::string_view phone_pseudonym, bool include_cleared) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      customer_id.empty()
          ? db.Prepare("SELECT " GK_DNC_COLUMNS
                       " FROM do_not_solicit WHERE phone_hmac = ?1 AND "
                       "(?2 OR cleared_at IS NULL) "
                       "ORDER BY created_at DESC, entry_id DESC")
          : db.Prepare("SELECT " GK_DNC_COLUMNS
                       " FROM do_not_solicit WHERE customer_id = ?1 AND "
                       "(?2 OR cleared_at IS NULL) "
                       "ORDER BY created_at DESC, entry_id DESC"));
  if (customer_id.empty()) {
    s.BindBlob(1, phone_pseudonym);
  } else {
    s.Bind(1, customer_id);
  }
  s.Bind(2, static_cast<int64_t>(include_cleared ? 1 : 0));
  ASSIGN_OR_RETURN(auto rows, ReadRows(s));
  std::vector<v1::DoNotSolicitEntry> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.entry));
  return out;
}

absl::StatusOr<std::vector<DoNotSolicitFact>> ActiveDoNotSolicit(
    sqlite::Connection& db, std::string_view phone_pseudonym,
    const std::vector<std::string>& customer_ids) {
  std::vector<DoNotSolicitFact> out;
  // Runs `s` (bound to one key) and adds the entries not yet seen.
  auto add = [&](sqlite::Stmt& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<StoredDoNotSolicit> rows, ReadRows(s));
    for (const auto& r : rows) {
      bool seen = false;
      for (const auto& o : out) seen = seen || o.entry_id == r.entry.entry_id();
      if (!seen) out.push_back(ToFact(r));
    }
    return absl::OkStatus();
  };
  if (!phone_pseudonym.empty()) {
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db.Prepare("SELECT " GK_DNC_COLUMNS
                                " FROM do_not_solicit WHERE phone_hmac = ? "
                                "AND cleared_at IS NULL"));
    s.BindBlob(1, phone_pseudonym);
    RETURN_IF_ERROR(add(s));
  }
  for (const std::string& c : customer_ids) {
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db.Prepare("SELECT " GK_DNC_COLUMNS
                                " FROM do_not_solicit WHERE customer_id = ? "
                                "AND cleared_at IS NULL"));
    s.Bind(1, c);
    RETURN_IF_ERROR(add(s));
  }
  return out;
}

absl::Status LoadDoNotSolicitIndex(sqlite::Connection& db,
                                   DoNotSolicitIndex& index) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT " GK_DNC_COLUMNS
                              " FROM do_not_solicit WHERE cleared_at IS NULL"));
  ASSIGN_OR_RETURN(auto rows, ReadRows(s));
  std::vector<DoNotSolicitIndex::Change> changes;
  for (const auto& r : rows) changes.push_back({ToFact(r), false});
  index.Apply(changes);
  return absl::OkStatus();
}

}  // namespace gatekeeper

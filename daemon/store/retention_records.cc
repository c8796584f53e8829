#include "daemon/store/retention_records.h"

#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {
namespace {

// Runs a statement binding the plan's values by name; returns the rows it
// changed.
absl::StatusOr<uint64_t> Run(sqlite::Connection& db, const char* sql,
                             const PurgePlan& plan) {
  ASSIGN_OR_RETURN(sqlite::Stmt s, db.Prepare(sql));
  auto bind = [&](const char* name, int64_t v) {
    const int i = sqlite3_bind_parameter_index(s.raw(), name);
    if (i > 0) s.Bind(i, v);
  };
  bind(":cut", static_cast<int64_t>(plan.cut_seq));
  bind(":limit", static_cast<int64_t>(plan.max_entries));
  bind(":decisions", plan.decisions_before);
  bind(":provisions", plan.provision_records_before);
  bind(":withdrawn", plan.withdrawn_consents_before);
  bind(":reports", plan.disclosure_reports_before);
  bind(":state_withdrawn", v1::CONSENT_STATE_WITHDRAWN);
  RETURN_IF_ERROR(s.Run());
  return static_cast<uint64_t>(sqlite3_changes(db.raw()));
}

}  // namespace

const char kRetentionSchema[] = R"sql(
CREATE TABLE audit_cut(
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  cut_seq   INTEGER NOT NULL,
  cut_hash  BLOB NOT NULL,
  entry_seq INTEGER NOT NULL);
)sql";

absl::StatusOr<std::optional<AuditCut>> ReadAuditCut(sqlite::Connection& db) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT cut_seq, cut_hash, entry_seq FROM audit_cut"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<AuditCut>();
  return std::optional<AuditCut>(AuditCut{static_cast<uint64_t>(s.Int(0)),
                                          s.Text(1),
                                          static_cast<uint64_t>(s.Int(2))});
}

absl::Status WriteAuditCut(sqlite::Connection& db, const AuditCut& cut) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT OR REPLACE INTO audit_cut(id, cut_seq, cut_hash, "
                 "entry_seq) VALUES(1,?,?,?)"));
  s.Bind(1, static_cast<int64_t>(cut.cut_seq))
      .BindBlob(2, cut.cut_hash)
      .Bind(3, static_cast<int64_t>(cut.entry_seq));
  return s.Run();
}

absl::StatusOr<v1::PurgeCounts> DeletePurgeable(sqlite::Connection& db,
                                                const PurgePlan& plan) {
  RETURN_IF_ERROR(db.Exec(
      "CREATE TEMP TABLE IF NOT EXISTS purge_seqs(seq INTEGER PRIMARY KEY);"
      "CREATE TEMP TABLE IF NOT EXISTS purge_consents("
      "  consent_id TEXT PRIMARY KEY, request_id TEXT NOT NULL,"
      "  customer_id TEXT NOT NULL, phone_hmac BLOB);"
      "DELETE FROM purge_seqs; DELETE FROM purge_consents;"));
  v1::PurgeCounts n;
  // Decisions past their retention: print and BLOCKed dial entries (an
  // ALLOWed dial's entry goes with its provision record).
  ASSIGN_OR_RETURN(
      uint64_t decisions,
      Run(db,
          "INSERT OR IGNORE INTO purge_seqs SELECT a.seq FROM audit a "
          "WHERE a.seq <= :cut AND a.at < :decisions AND (a.kind IN "
          "('decision.insert', 'print.batch') OR (a.kind = 'decision.dial' "
          "AND NOT EXISTS (SELECT 1 FROM provision_records p WHERE p.seq = "
          "a.seq))) ORDER BY a.seq LIMIT :limit",
          plan));
  n.set_decision_entries(decisions);
  // Provision records past theirs, once their decision is past its own.
  ASSIGN_OR_RETURN(
      uint64_t provisions,
      Run(db,
          "INSERT OR IGNORE INTO purge_seqs SELECT p.seq FROM "
          "provision_records p JOIN audit a ON a.seq = p.seq WHERE p.seq <= "
          ":cut AND p.provided_at < :provisions AND a.at < :decisions "
          "ORDER BY p.seq LIMIT :limit",
          plan));
  n.set_provision_records(provisions);
  // Consents withdrawn long enough ago, with their recorded entries, and
  // the withdrawal entries of that time.
  ASSIGN_OR_RETURN(
      uint64_t consents,
      Run(db,
          "INSERT INTO purge_consents SELECT c.consent_id, c.request_id, "
          "c.customer_id, c.phone_hmac FROM consents c WHERE c.state = "
          ":state_withdrawn AND c.audit_seq <= :cut "
          "AND (SELECT max(e.at) FROM consent_events e WHERE e.consent_id = "
          "c.consent_id) < :withdrawn AND (SELECT max(e.audit_seq) FROM "
          "consent_events e WHERE e.consent_id = c.consent_id) <= :cut "
          "LIMIT :limit",
          plan));
  n.set_withdrawn_consents(consents);
  RETURN_IF_ERROR(db.Exec(
      "INSERT OR IGNORE INTO purge_seqs SELECT c.audit_seq FROM consents c "
      "JOIN purge_consents p ON p.consent_id = c.consent_id"));
  ASSIGN_OR_RETURN(
      uint64_t withdrawals,
      Run(db,
          "INSERT OR IGNORE INTO purge_seqs SELECT seq FROM audit WHERE seq "
          "<= :cut AND kind = 'consent.withdrawn' AND at < :withdrawn",
          plan));
  (void)withdrawals;
  // Disclosure reports past theirs.
  ASSIGN_OR_RETURN(
      uint64_t reports,
      Run(db,
          "INSERT OR IGNORE INTO purge_seqs SELECT d.audit_seq FROM "
          "disclosure_reports d JOIN audit a ON a.seq = d.audit_seq WHERE "
          "d.audit_seq <= :cut AND a.at < :reports LIMIT :limit",
          plan));
  n.set_disclosure_reports(reports);

  RETURN_IF_ERROR(db.Exec(
      "DELETE FROM consent_events WHERE consent_id IN (SELECT consent_id FROM "
      "purge_consents);"
      "DELETE FROM requests WHERE method = 'RecordConsent' AND request_id IN "
      "(SELECT request_id FROM purge_consents WHERE request_id <> '');"
      "DELETE FROM consents WHERE consent_id IN (SELECT consent_id FROM "
      "purge_consents);"
      "DELETE FROM requests WHERE method = 'WithdrawConsent' AND request_id "
      "IN (SELECT json_extract(payload_json, '$.request_id') FROM audit "
      "WHERE kind = 'consent.withdrawn' AND seq IN (SELECT seq FROM "
      "purge_seqs)) AND request_id <> '';"
      "DELETE FROM disclosure_reports WHERE audit_seq IN (SELECT seq FROM "
      "purge_seqs);"
      "DELETE FROM provision_records WHERE seq IN (SELECT seq FROM "
      "purge_seqs);"
      "DELETE FROM decisions WHERE seq IN (SELECT seq FROM purge_seqs);"
      "DELETE FROM print_batches WHERE seq IN (SELECT seq FROM purge_seqs);"));
  ASSIGN_OR_RETURN(
      uint64_t entries,
      Run(db, "DELETE FROM audit WHERE seq IN (SELECT seq FROM purge_seqs)",
          plan));
  n.set_audit_entries(entries);
  return n;
}

absl::Status ScanPurgedConsents(
    sqlite::Connection& db,
    const std::function<void(std::string_view consent_id,
                             std::string_view customer_id,
                             std::string_view phone_pseudonym)>& fn) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT consent_id, customer_id, phone_hmac FROM "
                              "temp.purge_consents"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    fn(s.TextView(0), s.TextView(1), s.IsNull(2) ? "" : s.TextView(2));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeptDigest> DigestKept(sqlite::Connection& db,
                                      uint64_t cut_seq) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT seq, hash FROM audit WHERE seq <= ? ORDER BY seq"));
  s.Bind(1, static_cast<int64_t>(cut_seq));
  Sha256Hasher h;
  KeptDigest out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const uint64_t seq = static_cast<uint64_t>(s.Int(0));
    char be[8];
    for (int i = 0; i < 8; ++i) be[i] = static_cast<char>(seq >> (56 - 8 * i));
    h.Update(std::string_view(be, 8));
    h.Update(s.TextView(1));
    ++out.entries;
  }
  out.sha256 = h.Finish();
  return out;
}

}  // namespace gatekeeper

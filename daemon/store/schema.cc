#include "daemon/store/schema.h"

#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/checkpoint_records.h"
#include "daemon/store/customer_runs.h"
#include "daemon/store/print_run_records.h"
#include "daemon/store/retention_records.h"

namespace gatekeeper {
namespace {

// Schema version 1.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE consents(
  consent_id   TEXT PRIMARY KEY,
  customer_id  TEXT NOT NULL,
  purpose      INTEGER NOT NULL,
  company_id   TEXT NOT NULL,
  phone_hmac   BLOB,
  phone_masked TEXT NOT NULL,
  notice_id    TEXT NOT NULL,
  channel      INTEGER NOT NULL,
  evidence_ref TEXT NOT NULL,
  collected_at INTEGER NOT NULL,
  expires_at   INTEGER,
  collected_by TEXT NOT NULL,
  state        INTEGER NOT NULL,
  recorded_at  INTEGER NOT NULL,
  audit_seq    INTEGER NOT NULL,
  request_id   TEXT NOT NULL);
CREATE INDEX consents_by_customer ON consents(customer_id, purpose, company_id);
CREATE INDEX consents_by_phone ON consents(phone_hmac, purpose, company_id)
  WHERE phone_hmac IS NOT NULL;
CREATE TABLE consent_events(
  consent_id   TEXT NOT NULL,
  event_no     INTEGER NOT NULL,
  state        INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  channel      INTEGER NOT NULL,
  evidence_ref TEXT NOT NULL,
  reason       TEXT NOT NULL,
  audit_seq    INTEGER NOT NULL,
  PRIMARY KEY(consent_id, event_no)) WITHOUT ROWID;
CREATE TABLE requests(
  method      TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  fingerprint BLOB NOT NULL,
  result      BLOB NOT NULL,
  PRIMARY KEY(method, request_id)) WITHOUT ROWID;
CREATE TABLE campaigns(
  campaign_id TEXT PRIMARY KEY,
  body        BLOB NOT NULL);
CREATE TABLE audit(
  seq          INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  actor        TEXT NOT NULL,
  customer_id  TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  prev_hash    BLOB NOT NULL,
  hash         BLOB NOT NULL);
CREATE INDEX audit_by_customer ON audit(customer_id, seq)
  WHERE customer_id <> '';
CREATE TABLE audit_head(
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash BLOB NOT NULL);
)sql";

// Schema version 3: the records of telemarketing calls.
//  - decisions: every decision's id and the seq of its audit entry (the entry
//    holds the rest). Ids begin with the time in milliseconds, so inserts land
//    at the right edge of the B-tree.
//  - provision_records: one per ALLOWed dial (APPI Art. 29), keyed by the
//    decision's seq: appended at the right edge, no per-customer index on the
//    decision path (a subject report finds them through the customer's audit
//    entries).
//  - do_not_solicit: refusals (特定商取引法 Art. 17); rare writes, indexed.
//  - disclosure_reports, call_outcomes: one per decision at most; body is the
//    serialized v1.DisclosureReport / v1.OutcomeReport.
constexpr char kSchemaV3[] = R"sql(
CREATE TABLE decisions(
  decision_id TEXT PRIMARY KEY,
  seq         INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE provision_records(
  seq                      INTEGER PRIMARY KEY,
  decision_id              TEXT NOT NULL,
  provided_at              INTEGER NOT NULL,
  customer_id              TEXT NOT NULL,
  consent_id               TEXT NOT NULL,
  company_id               TEXT NOT NULL,
  campaign_id              TEXT NOT NULL,
  recipient_name           TEXT NOT NULL,
  recipient_address        TEXT NOT NULL,
  recipient_representative TEXT NOT NULL,
  data_items               TEXT NOT NULL,
  phone_hmac               BLOB NOT NULL,
  phone_masked             TEXT NOT NULL,
  retain_until             INTEGER NOT NULL);
CREATE TABLE do_not_solicit(
  entry_id             TEXT PRIMARY KEY,
  customer_id          TEXT NOT NULL,
  phone_hmac           BLOB,
  phone_masked         TEXT NOT NULL,
  company_id           TEXT NOT NULL,
  goods_type           TEXT NOT NULL,
  all_goods            INTEGER NOT NULL,
  created_at           INTEGER NOT NULL,
  source               INTEGER NOT NULL,
  decision_id          TEXT NOT NULL,
  agent_id             TEXT NOT NULL,
  audit_seq            INTEGER NOT NULL,
  cleared_at           INTEGER,
  cleared_evidence_ref TEXT,
  cleared_by           TEXT,
  cleared_reason       TEXT,
  cleared_audit_seq    INTEGER);
CREATE INDEX do_not_solicit_by_customer ON do_not_solicit(customer_id);
CREATE INDEX do_not_solicit_by_phone ON do_not_solicit(phone_hmac)
  WHERE phone_hmac IS NOT NULL;
CREATE TABLE disclosure_reports(
  decision_id TEXT PRIMARY KEY,
  audit_seq   INTEGER NOT NULL,
  fingerprint BLOB NOT NULL,
  body        BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE call_outcomes(
  decision_id TEXT PRIMARY KEY,
  audit_seq   INTEGER NOT NULL,
  fingerprint BLOB NOT NULL,
  body        BLOB NOT NULL) WITHOUT ROWID;
)sql";

}  // namespace

absl::Status Migrate(sqlite::Connection& db) {
  int64_t version = 0;
  {
    // Reset before the schema changes: DROP fails while a statement runs.
    ASSIGN_OR_RETURN(sqlite::Stmt v, db.Prepare("PRAGMA user_version"));
    ASSIGN_OR_RETURN(bool row, v.Step());
    if (row) version = v.Int(0);
  }
  if (version == kSchemaVersion) return absl::OkStatus();
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(StrCat(
        "database schema version ", version,
        " is newer than this gatekeeperd understands (", kSchemaVersion, ")"));
  }
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::Status s;
  if (version < 1) s = db.Exec(kSchemaV1);
  if (s.ok() && version < 2) {
    s = db.Exec("DROP INDEX IF EXISTS audit_by_customer");
    if (s.ok()) s = db.Exec(kCustomerRunsSchema);
  }
  if (s.ok() && version < 3) s = db.Exec(kSchemaV3);
  if (s.ok() && version < 4) s = db.Exec(kPrintRunSchema);
  if (s.ok() && version < 5) s = db.Exec(kCheckpointSchema);
  if (s.ok() && version < 5) s = db.Exec(kRetentionSchema);
  if (s.ok())
    s = db.Exec(StrCat("PRAGMA user_version = ", kSchemaVersion).c_str());
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) (void)db.Exec("ROLLBACK");
  return s;
}

}  // namespace gatekeeper

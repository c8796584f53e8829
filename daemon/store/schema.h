// The SQLite schema of the store and its migrations (PRAGMA user_version).
// Every version's DDL is kept, so a database of any earlier version is
// upgraded in one transaction on open; a newer one is refused.
//
// Times are microseconds since the Unix epoch. Phone numbers exist only as
// HMAC pseudonyms (BLOB) and masked strings.
//   v1  consents, consent_events, requests, campaigns, audit, audit_head
//   v2  the per-customer audit index in runs (customer_runs.h) replaces the
//       audit_by_customer B-tree index
//   v3  telemarketing: decisions (decision id -> audit seq), provision_records,
//       do_not_solicit, disclosure_reports, call_outcomes
//   v4  print runs: print_runs, print_batches, print_index
//       (print_run_records.h)
#ifndef GATEKEEPER_DAEMON_STORE_SCHEMA_H_
#define GATEKEEPER_DAEMON_STORE_SCHEMA_H_

#include "absl/status/status.h"
#include "daemon/store/sqlite.h"

namespace gatekeeper {

inline constexpr int kSchemaVersion = 5;

// Creates or upgrades the schema to kSchemaVersion. FAILED_PRECONDITION for a
// database newer than this build.
absl::Status Migrate(sqlite::Connection& db);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_SCHEMA_H_

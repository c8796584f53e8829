// Verification of the whole audit log as stored: the hash chain against its
// head anchor (audit_table.h) and, for each "print.batch" entry, the stored
// decisions of the batch against the hash its entry commits to. Used by
// VerifyAudit and by gatekeeperd --verify-data-dir on a copy.
#ifndef GATEKEEPER_DAEMON_STORE_VERIFY_LOG_H_
#define GATEKEEPER_DAEMON_STORE_VERIFY_LOG_H_

#include "absl/status/statusor.h"
#include "daemon/audit/chain.h"
#include "daemon/store/sqlite.h"

namespace gatekeeper {

// Call in a read transaction.
absl::StatusOr<VerifyResult> VerifyLog(sqlite::Connection& db);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_VERIFY_LOG_H_

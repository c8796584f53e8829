// gatekeeperd --verify-data-dir: checks a data directory or a backup copy
// offline, read-only, with no daemon: SQLite's integrity check, the hash
// chain against its head anchor (with print batches against their entries),
// and the anchor of it all, the latest signed checkpoint: its signature with
// the public key the copy holds (which must be the directory's
// audit_signing.pub when there is one) and its Merkle root recomputed from
// the log. Stops at the first problem.
#ifndef GATEKEEPER_DAEMON_STORE_DATA_DIR_CHECK_H_
#define GATEKEEPER_DAEMON_STORE_DATA_DIR_CHECK_H_

#include <string>

#include "absl/status/statusor.h"

namespace gatekeeper {

// `path`: a data directory (its gatekeeper.db) or a database file (a backup).
// Returns a summary of what was checked; DATA_LOSS naming the first problem,
// or another error when the copy cannot be read.
absl::StatusOr<std::string> VerifyDataDir(const std::string& path);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_DATA_DIR_CHECK_H_

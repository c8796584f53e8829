// A consistent copy of the live database with SQLite's online backup API
// (https://sqlite.org/backup.html), taken from a read connection: the copy is
// the snapshot that connection's read transaction sees, while writers go on.
#ifndef GATEKEEPER_DAEMON_STORE_BACKUP_H_
#define GATEKEEPER_DAEMON_STORE_BACKUP_H_

#include <string>

#include "absl/status/status.h"
#include "daemon/store/sqlite.h"

namespace gatekeeper {

// Copies `src` into a new database file at `dest_path` (which must not
// exist), in rollback-journal mode so that it is one self-contained file,
// and fsyncs it.
absl::Status BackupDatabase(sqlite::Connection& src,
                            const std::string& dest_path);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_BACKUP_H_

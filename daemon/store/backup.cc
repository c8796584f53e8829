#include "daemon/store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/common/strings.h"

namespace gatekeeper {

absl::Status BackupDatabase(sqlite::Connection& src,
                            const std::string& dest_path) {
  if (std::filesystem::exists(dest_path)) {
    return absl::AlreadyExistsError(StrCat(dest_path, " already exists"));
  }
  auto dest = sqlite::Connection::Open(
      dest_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dest.ok()) return dest.status();
  sqlite3_backup* b =
      sqlite3_backup_init((*dest)->raw(), "main", src.raw(), "main");
  if (b == nullptr) return (*dest)->Error("backup");
  // All pages in one step: one read transaction on the source, so the copy
  // is one snapshot.
  const int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(
        StrCat("backup of the database failed: ", sqlite3_errstr(rc)));
  }
  // The copy is one file, with no -wal beside it.
  if (absl::Status s = (*dest)->Exec("PRAGMA journal_mode = DELETE"); !s.ok()) {
    return s;
  }
  dest->reset();
  int fd = ::open(dest_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(StrCat("cannot fsync ", dest_path));
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace gatekeeper

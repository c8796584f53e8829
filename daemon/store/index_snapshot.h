// The consent index's snapshot file: written at a clean stop, read at the next
// start instead of every consent row (issue 12: serving within 5 s with ten
// million consents). It is a copy, never the record: it is used only when it
// was written for exactly the database being opened (its key names the audit
// head and the consents table's last rowid, and every change of a consent
// appends an audit entry), its SHA-256 matches, and it is removed once read,
// so a daemon that stops without writing one (kill -9, power loss) starts
// from the rows.
//
// Layout: "gatekeeperd consent index snapshot 1\n", the key (its length as
// 8 bytes, then its bytes), the index's own body (in this machine's byte
// order), then the SHA-256 of all before it.
#ifndef GATEKEEPER_DAEMON_STORE_INDEX_SNAPSHOT_H_
#define GATEKEEPER_DAEMON_STORE_INDEX_SNAPSHOT_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/common/crypto.h"

namespace gatekeeper {

class SnapshotWriter {
 public:
  // Writes to `path` + ".tmp"; Commit renames it to `path`.
  static absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(
      const std::filesystem::path& path, std::string_view key);
  ~SnapshotWriter();  // removes the temporary file unless committed

  void Bytes(const void* data, size_t size);
  void U64(uint64_t v) { Bytes(&v, sizeof v); }
  void String(std::string_view s) {
    U64(s.size());
    Bytes(s.data(), s.size());
  }
  // Appends the digest, closes and renames. The first write error, if any.
  absl::Status Commit();

 private:
  SnapshotWriter(std::filesystem::path path, std::FILE* f);
  const std::filesystem::path path_;
  std::FILE* f_;
  Sha256Hasher hash_;
  bool failed_ = false;
  bool committed_ = false;
};

class SnapshotReader {
 public:
  // NOT_FOUND when there is no file; FAILED_PRECONDITION when it was written
  // for another key (another database, or this one at another head).
  static absl::StatusOr<std::unique_ptr<SnapshotReader>> Open(
      const std::filesystem::path& path, std::string_view key);
  ~SnapshotReader();

  // False once the file ends early (every later read fails too).
  bool Bytes(void* data, size_t size);
  bool U64(uint64_t* v) { return Bytes(v, sizeof *v); }
  bool String(std::string* s, size_t max_size);
  // OK when everything was read, the digest follows and matches, and nothing
  // comes after it; DATA_LOSS otherwise.
  absl::Status Finish();

 private:
  SnapshotReader(std::filesystem::path path, std::FILE* f);
  const std::filesystem::path path_;
  std::FILE* f_;
  Sha256Hasher hash_;
  bool failed_ = false;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_INDEX_SNAPSHOT_H_

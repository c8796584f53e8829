// SqliteStore: the audit log's Merkle chunks and signed checkpoints, and
// backups. The
// commit pipeline is in sqlite_store.cc; the SQL in checkpoint_records.cc.
#include <future>

#include "absl/status/status.h"
#include "daemon/common/status_macros.h"
#include "daemon/store/backup.h"
#include "daemon/store/checkpoint_records.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper {

absl::Status SqliteStore::SaveCheckpoint(
    std::vector<std::pair<uint64_t, std::string>> chunks,
    std::optional<v1::Checkpoint> checkpoint, std::string_view public_key_pem) {
  std::promise<absl::Status> p;
  std::future<absl::Status> f = p.get_future();
  SubmitWrite(
      [&](WriteContext& w) -> absl::Status {
        RETURN_IF_ERROR(InsertMerkleChunks(w.db(), chunks));
        if (checkpoint.has_value()) {
          RETURN_IF_ERROR(
              InsertSigningKey(w.db(), checkpoint->key_id(), public_key_pem));
          RETURN_IF_ERROR(InsertCheckpoint(w.db(), *checkpoint));
        }
        return absl::OkStatus();
      },
      /*changes_state=*/false,
      [&p](absl::Status s) { p.set_value(std::move(s)); });
  return f.get();
}

absl::StatusOr<std::vector<std::string>> SqliteStore::MerkleChunks() {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return ReadMerkleChunks(*db);
}

absl::Status SqliteStore::BackupTo(const std::string& path) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return BackupDatabase(*db, path);
}

absl::StatusOr<std::optional<v1::Checkpoint>> SqliteStore::GetCheckpoint(
    uint64_t size) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return ReadCheckpoint(*db, size);
}

absl::Status SqliteStore::ScanAuditHashes(
    uint64_t after_seq, uint64_t upto_seq,
    const std::function<void(uint64_t, std::string_view)>& fn) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return gatekeeper::ScanAuditHashes(*db, after_seq, upto_seq, fn);
}

}  // namespace gatekeeper

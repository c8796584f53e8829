// Signed checkpoints of the audit log and the proofs given against them
// (AuditService.GetCheckpoint, ProveEntry, ProveConsistency). Holds the
// log's Merkle tree in chunks (daemon/audit/chunked_tree.h), follows the
// durable head, and signs a checkpoint (size, root, time) with the daemon's
// Ed25519 key every `interval` while the log grows, on demand, and at stop.
// Thread-safe.
//
// Fail closed: at start, the tree is rebuilt from the stored chunks and the
// log's entry hashes and must give the root the latest stored checkpoint
// signed; otherwise the log was rewritten since and Start fails (DATA_LOSS).
#ifndef GATEKEEPER_DAEMON_SERVER_AUDIT_CHECKPOINTS_H_
#define GATEKEEPER_DAEMON_SERVER_AUDIT_CHECKPOINTS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/audit/chunked_tree.h"
#include "daemon/common/clock.h"
#include "daemon/common/ed25519.h"
#include "daemon/ops/audit_feed.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/audit_service.pb.h"

namespace gatekeeper {

class AuditCheckpoints {
 public:
  static absl::StatusOr<std::unique_ptr<AuditCheckpoints>> Start(
      Store& store, Ed25519Signer signer, const Clock& clock,
      const AuditFeed& feed, std::chrono::milliseconds interval);
  ~AuditCheckpoints();
  AuditCheckpoints(const AuditCheckpoints&) = delete;
  AuditCheckpoints& operator=(const AuditCheckpoints&) = delete;

  // Stops the periodic signing after signing a last checkpoint (before the
  // store closes). Idempotent.
  void Stop();

  // The latest signed checkpoint; with `fresh`, one covering every durable
  // entry (signed now unless the latest already does). FAILED_PRECONDITION
  // while the log is empty.
  absl::StatusOr<v1::Checkpoint> Latest(bool fresh);
  // See AuditService.ProveEntry.
  absl::StatusOr<v1::AuditProof> ProveEntry(uint64_t seq, uint64_t tree_size);
  absl::StatusOr<v1::ProveConsistencyResponse> ProveConsistency(
      uint64_t old_size, uint64_t new_size);
  const std::string& public_key_pem() const { return signer_.public_key_pem(); }

 private:
  AuditCheckpoints(Store& store, Ed25519Signer signer, const Clock& clock,
                   const AuditFeed& feed, std::chrono::milliseconds interval);
  // Brings the tree up to the durable head `head`.
  absl::Status AdvanceLocked(uint64_t head);
  // Signs and stores a checkpoint of the whole tree (with the chunks
  // completed since the last save) unless the latest covers it.
  absl::StatusOr<v1::Checkpoint> SignLocked();
  absl::StatusOr<v1::Checkpoint> CheckpointLocked(uint64_t size);
  ChunkedMerkleTree::LeafReader Reader();
  void Loop();

  Store& store_;
  const Ed25519Signer signer_;
  const Clock& clock_;
  const AuditFeed& feed_;
  const std::chrono::milliseconds interval_;

  std::mutex mu_;
  ChunkedMerkleTree tree_;                                 // guarded by mu_
  std::vector<std::pair<uint64_t, std::string>> unsaved_;  // guarded by mu_
  std::optional<v1::Checkpoint> latest_;                   // guarded by mu_

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_AUDIT_CHECKPOINTS_H_

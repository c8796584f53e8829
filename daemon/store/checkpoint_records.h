// The audit log's Merkle tree and signed checkpoints (daemon/audit/merkle.h,
// proof.h) as stored: the hash of every complete chunk of 256 entries (the
// rest of the tree is recomputed in memory from them and from the log's own
// entry hashes), every signed checkpoint, so that proofs against an older
// checkpoint can still be given, and the public keys that signed them. Both are
// derived from the log and signed; neither is an audit entry.
#ifndef GATEKEEPER_DAEMON_STORE_CHECKPOINT_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_CHECKPOINT_RECORDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/store/sqlite.h"
#include "gatekeeper/v1/audit_service.pb.h"

namespace gatekeeper {

// The schema of checkpoints (schema version 5).
extern const char kCheckpointSchema[];

absl::Status InsertMerkleChunks(
    sqlite::Connection& db,
    const std::vector<std::pair<uint64_t, std::string>>& chunks);
// Every chunk hash in order; DATA_LOSS when one is missing.
absl::StatusOr<std::vector<std::string>> ReadMerkleChunks(
    sqlite::Connection& db);

// The public keys checkpoints were signed with, by key id: a copy of the
// database carries what is needed to check its checkpoints.
absl::Status InsertSigningKey(sqlite::Connection& db, std::string_view key_id,
                              std::string_view public_pem);
absl::StatusOr<std::optional<std::string>> ReadSigningKey(
    sqlite::Connection& db, std::string_view key_id);

absl::Status InsertCheckpoint(sqlite::Connection& db, const v1::Checkpoint& c);
// The checkpoint of `size` entries, or with size 0 the latest.
absl::StatusOr<std::optional<v1::Checkpoint>> ReadCheckpoint(
    sqlite::Connection& db, uint64_t size);

// The chain hashes of entries with seq in (after_seq, upto_seq], in order.
absl::Status ScanAuditHashes(
    sqlite::Connection& db, uint64_t after_seq, uint64_t upto_seq,
    const std::function<void(uint64_t seq, std::string_view hash)>& fn);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CHECKPOINT_RECORDS_H_

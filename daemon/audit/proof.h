// Signed checkpoints of the audit log and the offline check of an entry's
// proof (gatekeeper.v1.Checkpoint, AuditProof): what an auditor runs with
// only the daemon's public key. Pure functions.
#ifndef GATEKEEPER_DAEMON_AUDIT_PROOF_H_
#define GATEKEEPER_DAEMON_AUDIT_PROOF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/audit/chain.h"
#include "daemon/common/clock.h"
#include "gatekeeper/v1/audit_service.pb.h"

namespace gatekeeper {

inline constexpr char kAuditProofFormat[] = "gatekeeper-audit-proof/v1";

// The bytes a checkpoint's signature covers (see audit_service.proto).
std::string CheckpointText(std::string_view key_id, uint64_t size,
                           std::string_view root_hex, Micros at);
std::string CheckpointText(const v1::Checkpoint& c);

// The log entry an AuditEntry shows (hashes from hex); INVALID_ARGUMENT
// when a hash is not 64 hex digits.
absl::StatusOr<AuditRecord> FromAuditEntry(const v1::AuditEntry& e);

// Checks the checkpoint's signature with the public key. INVALID_ARGUMENT
// for a malformed checkpoint or key, PERMISSION_DENIED for a signature that
// does not verify (the message says so).
absl::Status CheckCheckpoint(const v1::Checkpoint& c,
                             std::string_view public_key_pem);

// Checks everything in the proof with the public key: the entry's hash
// recomputed from its fields and prev_hash, its inclusion in the
// checkpoint's tree, the checkpoint's signature, and when an older
// checkpoint is given, its signature and the consistency proof to the newer.
// OK, or an error naming the first thing that fails.
absl::Status CheckAuditProof(const v1::AuditProof& proof,
                             std::string_view public_key_pem);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_AUDIT_PROOF_H_

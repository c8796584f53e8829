#include "daemon/audit/proof.h"

#include <vector>

#include "daemon/audit/merkle.h"
#include "daemon/common/crypto.h"
#include "daemon/common/ed25519.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

absl::StatusOr<std::string> Hash32(std::string_view hex,
                                   std::string_view what) {
  auto raw = FromHex(hex);
  if (!raw.ok() || raw->size() != kHashSize) {
    return absl::InvalidArgumentError(
        StrCat(what, " is not a 64-digit hex hash"));
  }
  return *raw;
}

absl::StatusOr<std::vector<std::string>> Hashes(
    const google::protobuf::RepeatedPtrField<std::string>& hex,
    std::string_view what) {
  std::vector<std::string> out;
  for (int i = 0; i < hex.size(); ++i) {
    auto h = Hash32(hex[i], StrCat(what, "[", i, "]"));
    if (!h.ok()) return h.status();
    out.push_back(*std::move(h));
  }
  return out;
}

}  // namespace

std::string CheckpointText(std::string_view key_id, uint64_t size,
                           std::string_view root_hex, Micros at) {
  return StrCat("gatekeeper-audit-checkpoint/v1\nkey ", key_id, "\nsize ", size,
                "\nroot ", root_hex, "\nat ", at, "\n");
}

std::string CheckpointText(const v1::Checkpoint& c) {
  return CheckpointText(c.key_id(), c.size(), c.root_hash(), ToMicros(c.at()));
}

absl::StatusOr<AuditRecord> FromAuditEntry(const v1::AuditEntry& e) {
  AuditRecord r;
  r.seq = e.seq();
  r.at = ToMicros(e.at());
  r.kind = e.kind();
  r.actor = e.actor();
  r.customer_id = e.customer_id();
  r.payload_json = e.payload_json();
  auto prev = Hash32(e.prev_hash(), "entry.prev_hash");
  if (!prev.ok()) return prev.status();
  auto hash = Hash32(e.hash(), "entry.hash");
  if (!hash.ok()) return hash.status();
  r.prev_hash = *std::move(prev);
  r.hash = *std::move(hash);
  return r;
}

absl::Status CheckCheckpoint(const v1::Checkpoint& c,
                             std::string_view public_key_pem) {
  auto key_id = Ed25519KeyId(public_key_pem);
  if (!key_id.ok()) {
    return absl::InvalidArgumentError(
        StrCat("public key ", key_id.status().message()));
  }
  if (c.size() == 0) return absl::InvalidArgumentError("checkpoint is empty");
  if (auto root = Hash32(c.root_hash(), "checkpoint root_hash"); !root.ok()) {
    return root.status();
  }
  if (c.key_id() != *key_id) {
    return absl::PermissionDeniedError(
        StrCat("checkpoint of size ", c.size(), " was signed by key ",
               c.key_id(), ", not by this public key (", *key_id, ")"));
  }
  auto sig = FromHex(c.signature());
  if (!sig.ok() || sig->size() != 64) {
    return absl::InvalidArgumentError(
        "checkpoint signature is not 128 hex digits");
  }
  auto good = VerifyEd25519(public_key_pem, CheckpointText(c), *sig);
  if (!good.ok()) return good.status();
  if (!*good) {
    return absl::PermissionDeniedError(StrCat(
        "the signature of the checkpoint of size ", c.size(),
        " does not verify with this public key: it was altered or signed by "
        "another key"));
  }
  return absl::OkStatus();
}

absl::Status CheckAuditProof(const v1::AuditProof& proof,
                             std::string_view public_key_pem) {
  if (proof.format() != kAuditProofFormat) {
    return absl::InvalidArgumentError(StrCat("format is \"", proof.format(),
                                             "\", expected \"",
                                             kAuditProofFormat, "\""));
  }
  if (!proof.has_checkpoint()) {
    return absl::InvalidArgumentError("checkpoint is missing");
  }
  if (absl::Status s = CheckCheckpoint(proof.checkpoint(), public_key_pem);
      !s.ok()) {
    return s;
  }
  auto entry = FromAuditEntry(proof.entry());
  if (!entry.ok()) return entry.status();
  if (entry->seq == 0 || proof.leaf_index() != entry->seq - 1) {
    return absl::InvalidArgumentError(StrCat("leaf_index ", proof.leaf_index(),
                                             " does not match entry seq ",
                                             entry->seq));
  }
  if (ComputeEntryHash(*entry) != entry->hash) {
    return absl::DataLossError(StrCat(
        "entry ", entry->seq,
        " does not match its hash: its fields were altered after logging"));
  }
  auto path = Hashes(proof.inclusion_path(), "inclusion_path");
  if (!path.ok()) return path.status();
  const v1::Checkpoint& cp = proof.checkpoint();
  const std::string root = *FromHex(cp.root_hash());
  if (!VerifyInclusion(proof.leaf_index(), cp.size(),
                       MerkleLeafHash(entry->hash), *path, root)) {
    return absl::DataLossError(StrCat(
        "entry ", entry->seq, " is not in the log of ", cp.size(),
        " entries that the checkpoint signs (the inclusion proof fails)"));
  }
  if (proof.has_older_checkpoint()) {
    const v1::Checkpoint& old = proof.older_checkpoint();
    if (absl::Status s = CheckCheckpoint(old, public_key_pem); !s.ok()) {
      return absl::Status(s.code(), StrCat("older checkpoint: ", s.message()));
    }
    auto cpath = Hashes(proof.consistency_path(), "consistency_path");
    if (!cpath.ok()) return cpath.status();
    if (!VerifyConsistency(old.size(), cp.size(), *FromHex(old.root_hash()),
                           root, *cpath)) {
      return absl::DataLossError(
          StrCat("the log of ", cp.size(),
                 " entries does not extend the older checkpoint's log of ",
                 old.size(), " entries: the log was rewritten between them"));
    }
  } else if (proof.consistency_path_size() > 0) {
    // Nothing in a proof goes unchecked (found by tests/fuzz/proof_fuzz).
    return absl::InvalidArgumentError(
        "consistency_path is given without an older_checkpoint");
  }
  return absl::OkStatus();
}

}  // namespace gatekeeper

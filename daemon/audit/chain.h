// The audit log's hash chain: the canonical encoding of an entry, the chain
// hash, and verification. Pure functions and a small state machine; storage is
// the store's job. Thread-compatible.
//
// Invariants of a valid chain (checked by ChainVerifier):
//   1. seq starts at 1 and increases by exactly 1 per entry;
//   2. entry 1's prev_hash is 32 zero bytes; every later entry's prev_hash is
//      the hash of the entry before it;
//   3. hash = SHA-256(prev_hash || CanonicalEncoding(entry));
//   4. the last entry's (seq, hash) equals the separately stored head anchor,
//      so that deleting entries from the end (a truncated tail) is detected.
//
// Canonical encoding (all integers big-endian):
//   "GKA1" | u64 seq | i64 at_micros | for each of kind, actor, customer_id,
//   payload_json: u32 byte length, then the bytes.
// Length prefixes make the encoding injective: no two entries share it.
#ifndef GATEKEEPER_DAEMON_AUDIT_CHAIN_H_
#define GATEKEEPER_DAEMON_AUDIT_CHAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/common/clock.h"

namespace gatekeeper {

// What a caller asks to be logged; the chain assigns seq, time and hashes.
struct AuditDraft {
  std::string kind;         // "decision.insert", "consent.recorded", ...
  std::string actor;        // who caused it
  std::string customer_id;  // for per-customer queries; may be empty
  std::string payload_json;
};

struct AuditRecord {
  uint64_t seq = 0;
  Micros at = 0;
  std::string kind;
  std::string actor;
  std::string customer_id;
  std::string payload_json;
  std::string prev_hash;  // raw 32 bytes
  std::string hash;       // raw 32 bytes
};

inline constexpr size_t kHashSize = 32;
std::string GenesisHash();  // 32 zero bytes

std::string CanonicalEncoding(const AuditRecord& r);
std::string ComputeEntryHash(const AuditRecord& r);  // uses r.prev_hash

// The head of the chain: the last entry's seq and hash (seq 0 = empty).
struct ChainHead {
  uint64_t seq = 0;
  std::string hash = GenesisHash();
};

// Builds records on top of a head. Seal() advances the head; the caller can
// rewind to an earlier head when the transaction holding the records rolls
// back.
class ChainBuilder {
 public:
  explicit ChainBuilder(ChainHead head) : head_(std::move(head)) {}
  // `at` is clamped so that time never runs backwards along the chain.
  AuditRecord Seal(AuditDraft draft, Micros at);
  const ChainHead& head() const { return head_; }
  void Rewind(ChainHead head) { head_ = std::move(head); }

 private:
  ChainHead head_;
  Micros last_at_ = 0;
};

struct VerifyResult {
  bool ok = true;
  uint64_t entries_checked = 0;
  uint64_t first_bad_seq = 0;
  std::string detail;
  std::string head_hash;  // raw
};

// Feed entries in seq order, then Finish() with the stored head anchor.
class ChainVerifier {
 public:
  ChainVerifier() = default;
  // Verifies a chain that goes on from `start` (a retention cut): the first
  // entry fed must be start.seq + 1 with prev_hash start.hash.
  explicit ChainVerifier(ChainHead start) : expected_(std::move(start)) {}
  // Returns false once the chain is found broken; further input is ignored.
  bool Feed(const AuditRecord& r);
  VerifyResult Finish(const std::optional<ChainHead>& anchor);

 private:
  VerifyResult result_;
  ChainHead expected_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_AUDIT_CHAIN_H_

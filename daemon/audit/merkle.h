// The Merkle tree over the audit log (RFC 9162 section 2.1, the tree hashing
// of Certificate Transparency, RFC 6962): inclusion and consistency proofs,
// and their verification. Pure functions, no storage: a tree is read through
// a callback that returns the hash of any range of leaves.
//
// The leaves are the audit entries in seq order (leaf index = seq - 1), and a
// leaf's data is the entry's chain hash (daemon/audit/chain.h), which commits
// to the entry and to the hash before it:
//   leaf hash = SHA-256(0x00 || entry hash)
//   node hash = SHA-256(0x01 || left || right)
//   the empty tree's hash = SHA-256("")
// So an outsider checks an entry with its fields and prev_hash alone: the
// entry hash from them, the leaf hash from that, the root from the path.
#ifndef GATEKEEPER_DAEMON_AUDIT_MERKLE_H_
#define GATEKEEPER_DAEMON_AUDIT_MERKLE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatekeeper {

std::string MerkleLeafHash(std::string_view entry_hash);
std::string MerkleNodeHash(std::string_view left, std::string_view right);
std::string MerkleEmptyRoot();
// The root of a tree of these leaf hashes (MTH of RFC 9162).
std::string MerkleRoot(std::span<const std::string> leaf_hashes);

// The hash of the subtree over leaves [lo, hi) of a tree: the tree's own
// storage answers it, or fails (an error ends the proof with it).
using SubtreeHashFn =
    std::function<absl::StatusOr<std::string>(uint64_t lo, uint64_t hi)>;

// The largest power of two smaller than n (n >= 2).
uint64_t MerkleSplit(uint64_t n);

// PATH(index, D[size]): the audit path of leaf `index` in the tree of the
// first `size` leaves, from the leaf's sibling up. INVALID_ARGUMENT unless
// index < size.
absl::StatusOr<std::vector<std::string>> InclusionProof(
    uint64_t index, uint64_t size, const SubtreeHashFn& subtree);
// PROOF(old_size, D[new_size]): INVALID_ARGUMENT unless
// 0 < old_size <= new_size.
absl::StatusOr<std::vector<std::string>> ConsistencyProof(
    uint64_t old_size, uint64_t new_size, const SubtreeHashFn& subtree);

// RFC 9162 2.1.3.2: whether `path` proves leaf `index` (its leaf hash given)
// in the tree of `size` leaves with this root.
bool VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                     std::span<const std::string> path, std::string_view root);
// RFC 9162 2.1.4.2: whether `path` proves that the tree of `old_size` leaves
// with `old_root` is a prefix of the tree of `new_size` leaves with
// `new_root`.
bool VerifyConsistency(uint64_t old_size, uint64_t new_size,
                       std::string_view old_root, std::string_view new_root,
                       std::span<const std::string> path);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_AUDIT_MERKLE_H_

#include "daemon/audit/chunked_tree.h"

#include <bit>
#include <span>
#include <utility>

#include "daemon/audit/merkle.h"
#include "daemon/common/status_macros.h"

namespace gatekeeper {

void ChunkedMerkleTree::AppendChunk(std::string chunk_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(std::move(chunk_hash));
  // Complete the nodes above it.
  for (size_t j = 0; levels_[j].size() % 2 == 0; ++j) {
    if (j + 1 == levels_.size()) levels_.emplace_back();
    const auto& below = levels_[j];
    levels_[j + 1].push_back(
        MerkleNodeHash(below[below.size() - 2], below[below.size() - 1]));
  }
}

std::optional<std::string> ChunkedMerkleTree::AppendLeaf(
    std::string leaf_hash) {
  tail_.push_back(std::move(leaf_hash));
  if (tail_.size() < kLeavesPerChunk) return std::nullopt;
  std::string chunk = MerkleRoot(tail_);
  tail_.clear();
  AppendChunk(chunk);
  return chunk;
}

absl::StatusOr<std::string> ChunkedMerkleTree::SubtreeHash(
    uint64_t lo, uint64_t hi, const LeafReader& read) const {
  if (hi > size() || lo > hi) {
    return absl::OutOfRangeError("subtree beyond the tree");
  }
  const uint64_t n = hi - lo;
  if (n == 0) return MerkleEmptyRoot();
  const uint64_t first_chunk = lo / kLeavesPerChunk;
  if ((hi - 1) / kLeavesPerChunk == first_chunk) {
    // Within one chunk: from its leaves.
    const uint64_t tail_start = chunks() * kLeavesPerChunk;
    if (lo >= tail_start) {
      return MerkleRoot(
          std::span<const std::string>(tail_).subspan(lo - tail_start, n));
    }
    if (n == kLeavesPerChunk) return levels_[0][first_chunk];
    ASSIGN_OR_RETURN(std::vector<std::string> leaves, read(lo, hi));
    if (leaves.size() != n) {
      return absl::DataLossError("the log is missing leaves of the tree");
    }
    return MerkleRoot(leaves);
  }
  if (std::has_single_bit(n) && lo % n == 0 && n % kLeavesPerChunk == 0) {
    // A complete node over whole chunks.
    const uint64_t span = n / kLeavesPerChunk;
    const size_t level = std::countr_zero(span);
    return levels_[level][first_chunk / span];
  }
  const uint64_t k = MerkleSplit(n);
  ASSIGN_OR_RETURN(std::string left, SubtreeHash(lo, lo + k, read));
  ASSIGN_OR_RETURN(std::string right, SubtreeHash(lo + k, hi, read));
  return MerkleNodeHash(left, right);
}

}  // namespace gatekeeper

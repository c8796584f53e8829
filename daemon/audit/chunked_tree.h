// The audit log's Merkle tree (merkle.h) held in memory in chunks: the hash
// of every complete chunk of kLeavesPerChunk leaves and of every complete
// node above them, plus the leaf hashes of the last, incomplete chunk. That
// is 64 bytes per 256 entries (2.5 MB at ten million entries); a subtree
// inside a complete chunk is recomputed from its leaves, which the caller
// reads from the log. Thread-compatible.
#ifndef GATEKEEPER_DAEMON_AUDIT_CHUNKED_TREE_H_
#define GATEKEEPER_DAEMON_AUDIT_CHUNKED_TREE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gatekeeper {

class ChunkedMerkleTree {
 public:
  static constexpr uint64_t kLeavesPerChunk = 256;

  // Leaf hashes [lo, hi) of complete chunks, read from storage (hi - lo <=
  // kLeavesPerChunk, within one chunk).
  using LeafReader = std::function<absl::StatusOr<std::vector<std::string>>(
      uint64_t lo, uint64_t hi)>;

  uint64_t size() const { return chunks() * kLeavesPerChunk + tail_.size(); }
  uint64_t chunks() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // Appends a complete chunk's hash (when loading stored chunks); only while
  // the tail is empty.
  void AppendChunk(std::string chunk_hash);
  // Appends a leaf; returns the chunk's hash when it completes one.
  std::optional<std::string> AppendLeaf(std::string leaf_hash);

  // MTH of leaves [lo, hi), hi <= size().
  absl::StatusOr<std::string> SubtreeHash(uint64_t lo, uint64_t hi,
                                          const LeafReader& read) const;
  absl::StatusOr<std::string> Root(uint64_t size,
                                   const LeafReader& read) const {
    return SubtreeHash(0, size, read);
  }

 private:
  // levels_[j][i]: the hash over chunks [i * 2^j, (i + 1) * 2^j).
  std::vector<std::vector<std::string>> levels_;
  std::vector<std::string> tail_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_AUDIT_CHUNKED_TREE_H_

#include "daemon/audit/merkle.h"

#include <utility>

#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"

namespace gatekeeper {
namespace {

// SUBPROOF(m, D[lo:hi], b) of RFC 9162 2.1.4.1, with m counted from lo.
absl::Status SubProof(uint64_t m, uint64_t lo, uint64_t hi, bool complete,
                      const SubtreeHashFn& subtree,
                      std::vector<std::string>& out) {
  const uint64_t n = hi - lo;
  if (m == n) {
    if (!complete) {
      ASSIGN_OR_RETURN(std::string h, subtree(lo, hi));
      out.push_back(std::move(h));
    }
    return absl::OkStatus();
  }
  const uint64_t k = MerkleSplit(n);
  if (m <= k) {
    RETURN_IF_ERROR(SubProof(m, lo, lo + k, complete, subtree, out));
    ASSIGN_OR_RETURN(std::string right, subtree(lo + k, hi));
    out.push_back(std::move(right));
  } else {
    RETURN_IF_ERROR(SubProof(m - k, lo + k, hi, false, subtree, out));
    ASSIGN_OR_RETURN(std::string left, subtree(lo, lo + k));
    out.push_back(std::move(left));
  }
  return absl::OkStatus();
}

// PATH(m, D[lo:hi]) of RFC 9162 2.1.3.1, with m counted from lo.
absl::Status Path(uint64_t m, uint64_t lo, uint64_t hi,
                  const SubtreeHashFn& subtree, std::vector<std::string>& out) {
  const uint64_t n = hi - lo;
  if (n <= 1) return absl::OkStatus();
  const uint64_t k = MerkleSplit(n);
  if (m < k) {
    RETURN_IF_ERROR(Path(m, lo, lo + k, subtree, out));
    ASSIGN_OR_RETURN(std::string right, subtree(lo + k, hi));
    out.push_back(std::move(right));
  } else {
    RETURN_IF_ERROR(Path(m - k, lo + k, hi, subtree, out));
    ASSIGN_OR_RETURN(std::string left, subtree(lo, lo + k));
    out.push_back(std::move(left));
  }
  return absl::OkStatus();
}

bool Lsb(uint64_t x) { return (x & 1) != 0; }

}  // namespace

std::string MerkleLeafHash(std::string_view entry_hash) {
  std::string in(1, '\x00');
  in.append(entry_hash);
  return Sha256(in);
}

std::string MerkleNodeHash(std::string_view left, std::string_view right) {
  std::string in(1, '\x01');
  in.append(left);
  in.append(right);
  return Sha256(in);
}

std::string MerkleEmptyRoot() { return Sha256(""); }

std::string MerkleRoot(std::span<const std::string> leaves) {
  if (leaves.empty()) return MerkleEmptyRoot();
  if (leaves.size() == 1) return leaves[0];
  const uint64_t k = MerkleSplit(leaves.size());
  return MerkleNodeHash(MerkleRoot(leaves.subspan(0, k)),
                        MerkleRoot(leaves.subspan(k)));
}

uint64_t MerkleSplit(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

absl::StatusOr<std::vector<std::string>> InclusionProof(
    uint64_t index, uint64_t size, const SubtreeHashFn& subtree) {
  if (index >= size) {
    return absl::InvalidArgumentError("leaf index is beyond the tree");
  }
  std::vector<std::string> out;
  RETURN_IF_ERROR(Path(index, 0, size, subtree, out));
  return out;
}

absl::StatusOr<std::vector<std::string>> ConsistencyProof(
    uint64_t old_size, uint64_t new_size, const SubtreeHashFn& subtree) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(
        "old size must be at least 1 and at most the new size");
  }
  std::vector<std::string> out;
  RETURN_IF_ERROR(SubProof(old_size, 0, new_size, true, subtree, out));
  return out;
}

bool VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                     std::span<const std::string> path, std::string_view root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : path) {
    if (sn == 0) return false;
    if (Lsb(fn) || fn == sn) {
      r = MerkleNodeHash(p, r);
      if (!Lsb(fn)) {
        while (!Lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size,
                       std::string_view old_root, std::string_view new_root,
                       std::span<const std::string> path) {
  if (old_size == 0 || old_size > new_size) return false;
  if (old_size == new_size) return path.empty() && old_root == new_root;
  std::vector<std::string> p(path.begin(), path.end());
  // A power-of-two old tree is a subtree of the new one: its root starts the
  // path.
  if ((old_size & (old_size - 1)) == 0)
    p.insert(p.begin(), std::string(old_root));
  if (p.empty()) return false;
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = p[0];
  std::string sr = p[0];
  for (size_t i = 1; i < p.size(); ++i) {
    const std::string& c = p[i];
    if (sn == 0) return false;
    if (Lsb(fn) || fn == sn) {
      fr = MerkleNodeHash(c, fr);
      sr = MerkleNodeHash(c, sr);
      if (!Lsb(fn)) {
        while (!Lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = MerkleNodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace gatekeeper

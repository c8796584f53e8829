// The audit log's Merkle tree (RFC 9162): the Certificate Transparency test
// vectors, proofs for every leaf and every pair of sizes against a plain
// recursive reference, the chunked in-memory tree against the same, and the
// offline proof check with Ed25519 checkpoints.
#include "daemon/audit/merkle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/audit/chunked_tree.h"
#include "daemon/audit/proof.h"
#include "daemon/common/crypto.h"
#include "daemon/common/ed25519.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

std::vector<std::string> Leaves(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(MerkleLeafHash(Sha256("entry " + std::to_string(i))));
  }
  return out;
}

// MTH of leaves [lo, hi), straight from the definition.
SubtreeHashFn Reference(const std::vector<std::string>& leaves) {
  return [&leaves](uint64_t lo, uint64_t hi) -> absl::StatusOr<std::string> {
    return MerkleRoot(
        std::vector<std::string>(leaves.begin() + lo, leaves.begin() + hi));
  };
}

// The proofs, or empty on an error (which the test then fails on).
std::vector<std::string> Inclusion(uint64_t m, uint64_t n,
                                   const SubtreeHashFn& f) {
  absl::StatusOr<std::vector<std::string>> p = InclusionProof(m, n, f);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(p).value() : std::vector<std::string>();
}
std::vector<std::string> Consistency(uint64_t m, uint64_t n,
                                     const SubtreeHashFn& f) {
  absl::StatusOr<std::vector<std::string>> p = ConsistencyProof(m, n, f);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(p).value() : std::vector<std::string>();
}

TEST(MerkleTest, CertificateTransparencyTestVectors) {
  // RFC 6962's reference test data: leaf inputs and the roots of the first
  // 1..8 of them.
  const std::vector<std::string> inputs = {
      "",
      std::string("\x00", 1),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<std::string> leaves;
  for (size_t n = 1; n <= inputs.size(); ++n) {
    leaves.push_back(MerkleLeafHash(inputs[n - 1]));
    EXPECT_EQ(ToHex(MerkleRoot(leaves)), roots[n - 1]) << n;
  }
  EXPECT_EQ(ToHex(MerkleEmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleTest, EveryLeafProvesAndNoOtherDoes) {
  const std::vector<std::string> leaves = Leaves(70);
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const std::string root = *Reference(leaves)(0, n);
    for (uint64_t m = 0; m < n; ++m) {
      const std::vector<std::string> p = Inclusion(m, n, Reference(leaves));
      const std::vector<std::string>* path = &p;
      EXPECT_TRUE(VerifyInclusion(m, n, leaves[m], *path, root))
          << m << "/" << n;
      // Another leaf at that index, the leaf at another index, another root.
      EXPECT_FALSE(
          VerifyInclusion(m, n, leaves[(m + 1) % leaves.size()], *path, root));
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion((m + 1) % n, n, leaves[m], *path, root));
      }
      EXPECT_FALSE(
          VerifyInclusion(m, n, leaves[m], *path, MerkleLeafHash("other")));
      if (!path->empty()) {
        std::vector<std::string> bad = *path;
        bad.back()[0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(m, n, leaves[m], bad, root));
        bad = *path;
        bad.pop_back();
        EXPECT_FALSE(VerifyInclusion(m, n, leaves[m], bad, root));
      }
    }
  }
  EXPECT_FALSE(InclusionProof(5, 5, Reference(leaves)).ok());
}

TEST(MerkleTest, EveryOlderTreeIsProvedAPrefixOfEveryNewer) {
  const std::vector<std::string> leaves = Leaves(40);
  std::vector<std::string> forked = leaves;
  forked[3] = MerkleLeafHash("rewritten");
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const std::string new_root = *Reference(leaves)(0, n);
    for (uint64_t m = 1; m <= n; ++m) {
      const std::string old_root = *Reference(leaves)(0, m);
      const std::vector<std::string> p = Consistency(m, n, Reference(leaves));
      const std::vector<std::string>* path = &p;
      EXPECT_TRUE(VerifyConsistency(m, n, old_root, new_root, *path))
          << m << "->" << n;
      // A log rewritten at leaf 3 is not consistent with the original.
      if (m > 3 && m < n) {
        const std::string forked_old = *Reference(forked)(0, m);
        EXPECT_FALSE(VerifyConsistency(m, n, forked_old, new_root, *path));
      }
      if (!path->empty()) {
        std::vector<std::string> bad = *path;
        bad.front()[5] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, bad));
      }
    }
  }
  EXPECT_FALSE(ConsistencyProof(0, 3, Reference(leaves)).ok());
  EXPECT_FALSE(ConsistencyProof(4, 3, Reference(leaves)).ok());
}

TEST(ChunkedMerkleTreeTest, AgreesWithTheReferenceAcrossChunks) {
  const std::vector<std::string> leaves = Leaves(1100);
  ChunkedMerkleTree tree;
  int reads = 0;
  auto read = [&](uint64_t lo,
                  uint64_t hi) -> absl::StatusOr<std::vector<std::string>> {
    ++reads;
    EXPECT_LE(hi - lo, ChunkedMerkleTree::kLeavesPerChunk);
    return std::vector<std::string>(leaves.begin() + lo, leaves.begin() + hi);
  };
  std::vector<std::string> chunks;
  for (size_t i = 0; i < leaves.size(); ++i) {
    auto chunk = tree.AppendLeaf(leaves[i]);
    if (chunk.has_value()) chunks.push_back(*chunk);
    const uint64_t n = i + 1;
    if (n % 97 == 0 || n == 256 || n == 257 || n == 512 || n == 1024 ||
        n == leaves.size()) {
      EXPECT_EQ(*tree.Root(n, read), *Reference(leaves)(0, n)) << n;
      for (uint64_t m : {uint64_t{0}, n / 3, n / 2, n - 1}) {
        auto a = Inclusion(m, n, [&](uint64_t lo, uint64_t hi) {
          return tree.SubtreeHash(lo, hi, read);
        });
        EXPECT_EQ(a, Inclusion(m, n, Reference(leaves))) << m << "/" << n;
      }
      // Older sizes too: proofs against an earlier checkpoint.
      for (uint64_t m : {uint64_t{1}, n / 2, n}) {
        auto a = Consistency(m, n, [&](uint64_t lo, uint64_t hi) {
          return tree.SubtreeHash(lo, hi, read);
        });
        EXPECT_EQ(a, Consistency(m, n, Reference(leaves)));
      }
    }
  }
  EXPECT_EQ(chunks.size(), 4u);
  EXPECT_GT(reads, 0);

  // Loaded from its stored chunks plus the tail, it is the same tree.
  ChunkedMerkleTree loaded;
  for (const std::string& c : chunks) loaded.AppendChunk(c);
  for (size_t i = 4 * ChunkedMerkleTree::kLeavesPerChunk; i < leaves.size();
       ++i) {
    loaded.AppendLeaf(leaves[i]);
  }
  EXPECT_EQ(*loaded.Root(leaves.size(), read), *tree.Root(leaves.size(), read));
  EXPECT_FALSE(loaded.SubtreeHash(0, leaves.size() + 1, read).ok());
}

TEST(ChunkedMerkleTreeTest, MissingLeavesAreDataLoss) {
  ChunkedMerkleTree tree;
  const std::vector<std::string> leaves = Leaves(300);
  for (const auto& l : leaves) tree.AppendLeaf(l);
  auto purged = [](uint64_t,
                   uint64_t) -> absl::StatusOr<std::vector<std::string>> {
    return std::vector<std::string>();
  };
  EXPECT_EQ(tree.SubtreeHash(0, 100, purged).status().code(),
            absl::StatusCode::kDataLoss);
  // Whole chunks and the tail need no reads.
  EXPECT_TRUE(tree.SubtreeHash(0, 256, purged).ok());
  EXPECT_TRUE(tree.SubtreeHash(256, 300, purged).ok());
}

class ProofCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s =
        Ed25519Signer::LoadOrCreate(dir_.path() / "k", dir_.path() / "k.pub");
    ASSERT_TRUE(s.ok()) << s.status();
    signer_.emplace(*std::move(s));
    // A chain of 9 entries.
    ChainBuilder chain{ChainHead{}};
    for (int i = 0; i < 9; ++i) {
      records_.push_back(chain.Seal({"consent.recorded", "billing-center",
                                     "C-" + std::to_string(i), "{}"},
                                    1'700'000'000'000'000 + i));
      leaves_.push_back(MerkleLeafHash(records_.back().hash));
    }
  }

  v1::Checkpoint Sign(uint64_t size) {
    v1::Checkpoint c;
    c.set_size(size);
    c.set_root_hash(ToHex(*Reference(leaves_)(0, size)));
    *c.mutable_at() = FromMicros(1'700'000'100'000'000);
    c.set_key_id(signer_->key_id());
    c.set_signature(ToHex(signer_->Sign(CheckpointText(c))));
    return c;
  }

  v1::AuditProof Proof(uint64_t seq, uint64_t size) {
    v1::AuditProof p;
    p.set_format(kAuditProofFormat);
    const AuditRecord& r = records_[seq - 1];
    v1::AuditEntry* e = p.mutable_entry();
    e->set_seq(r.seq);
    *e->mutable_at() = FromMicros(r.at);
    e->set_kind(r.kind);
    e->set_actor(r.actor);
    e->set_customer_id(r.customer_id);
    e->set_payload_json(r.payload_json);
    e->set_prev_hash(ToHex(r.prev_hash));
    e->set_hash(ToHex(r.hash));
    p.set_leaf_index(seq - 1);
    for (const auto& h : Inclusion(seq - 1, size, Reference(leaves_))) {
      p.add_inclusion_path(ToHex(h));
    }
    *p.mutable_checkpoint() = Sign(size);
    return p;
  }

  testing::TempDir dir_;
  std::optional<Ed25519Signer> signer_;
  std::vector<AuditRecord> records_;
  std::vector<std::string> leaves_;
};

TEST_F(ProofCheckTest, AGoodProofHolds) {
  for (uint64_t seq = 1; seq <= 9; ++seq) {
    EXPECT_TRUE(CheckAuditProof(Proof(seq, 9), signer_->public_key_pem()).ok());
  }
}

TEST_F(ProofCheckTest, AnAlteredEntryFails) {
  v1::AuditProof p = Proof(4, 9);
  p.mutable_entry()->set_customer_id("C-999");
  EXPECT_EQ(CheckAuditProof(p, signer_->public_key_pem()).code(),
            absl::StatusCode::kDataLoss);
  // Recomputing the entry's hash does not help: it is not the logged leaf.
  AuditRecord r = *FromAuditEntry(p.entry());
  p.mutable_entry()->set_hash(ToHex(ComputeEntryHash(r)));
  absl::Status s = CheckAuditProof(p, signer_->public_key_pem());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("inclusion proof fails"), std::string::npos) << s;
}

TEST_F(ProofCheckTest, AnAlteredCheckpointOrAnotherKeyFails) {
  v1::AuditProof p = Proof(2, 9);
  p.mutable_checkpoint()->set_size(8);
  EXPECT_EQ(CheckAuditProof(p, signer_->public_key_pem()).code(),
            absl::StatusCode::kPermissionDenied);

  auto other =
      Ed25519Signer::LoadOrCreate(dir_.path() / "o", dir_.path() / "o.pub");
  ASSERT_TRUE(other.ok());
  p = Proof(2, 9);
  EXPECT_EQ(CheckAuditProof(p, other->public_key_pem()).code(),
            absl::StatusCode::kPermissionDenied);
  // Even claiming the other key's id: the signature does not verify.
  p.mutable_checkpoint()->set_key_id(other->key_id());
  absl::Status s = CheckAuditProof(p, other->public_key_pem());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("does not verify"), std::string::npos) << s;
  EXPECT_EQ(CheckAuditProof(p, "not a key").code(),
            absl::StatusCode::kInvalidArgument);
}

// Found by tests/fuzz/proof_fuzz: a consistency path with no older
// checkpoint to check it against was ignored, and the proof held.
TEST_F(ProofCheckTest, AConsistencyPathWithoutAnOlderCheckpointIsRefused) {
  v1::AuditProof p = Proof(1, 9);
  p.add_consistency_path("6609000000aa");
  const absl::Status s = CheckAuditProof(p, signer_->public_key_pem());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "consistency_path is given without an older_checkpoint");
}

TEST_F(ProofCheckTest, AnOlderCheckpointIsCheckedForConsistency) {
  v1::AuditProof p = Proof(7, 9);
  *p.mutable_older_checkpoint() = Sign(5);
  for (const auto& h : Consistency(5, 9, Reference(leaves_))) {
    p.add_consistency_path(ToHex(h));
  }
  EXPECT_TRUE(CheckAuditProof(p, signer_->public_key_pem()).ok());
  // An older checkpoint of a different log (rewritten at entry 2).
  std::vector<std::string> forked = leaves_;
  forked[1] = MerkleLeafHash("rewritten");
  v1::Checkpoint old = Sign(5);
  old.set_root_hash(ToHex(*Reference(forked)(0, 5)));
  old.set_signature(ToHex(signer_->Sign(CheckpointText(old))));
  *p.mutable_older_checkpoint() = old;
  absl::Status s = CheckAuditProof(p, signer_->public_key_pem());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("rewritten"), std::string::npos) << s;
}

// proof_fuzz's property once said otherwise: an older checkpoint of the same
// size needs an empty consistency path, and dropping it leaves a weaker proof
// that still holds (the entry is in the log the newer checkpoint signs).
TEST_F(ProofCheckTest,
       AnOlderCheckpointOfTheSameSizeNeedsNoPathAndMayBeDropped) {
  v1::AuditProof p = Proof(1, 1);
  *p.mutable_older_checkpoint() = Sign(1);
  EXPECT_TRUE(CheckAuditProof(p, signer_->public_key_pem()).ok());
  p.add_consistency_path(ToHex(leaves_[0]));
  EXPECT_EQ(CheckAuditProof(p, signer_->public_key_pem()).code(),
            absl::StatusCode::kDataLoss);
  p.clear_consistency_path();
  p.clear_older_checkpoint();
  EXPECT_TRUE(CheckAuditProof(p, signer_->public_key_pem()).ok());
}

TEST(Ed25519Test, TheKeyIsCreatedOnceAndMustBePrivate) {
  testing::TempDir dir;
  auto a = Ed25519Signer::LoadOrCreate(dir.path() / "k", dir.path() / "k.pub");
  ASSERT_TRUE(a.ok());
  auto b = Ed25519Signer::LoadOrCreate(dir.path() / "k", dir.path() / "k.pub");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->key_id(), b->key_id());
  EXPECT_TRUE(*VerifyEd25519(b->public_key_pem(), "m", a->Sign("m")));
  EXPECT_FALSE(*VerifyEd25519(b->public_key_pem(), "n", a->Sign("m")));
  std::filesystem::permissions(dir.path() / "k",
                               std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  auto c = Ed25519Signer::LoadOrCreate(dir.path() / "k", dir.path() / "k.pub");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gatekeeper

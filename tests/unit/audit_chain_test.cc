// The hash chain: sealing, verification, and each way a log can be damaged.
#include <gtest/gtest.h>

#include "daemon/audit/chain.h"
#include "daemon/common/crypto.h"

namespace gatekeeper {
namespace {

std::vector<AuditRecord> MakeChain(int n) {
  ChainBuilder b{ChainHead{}};
  std::vector<AuditRecord> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(b.Seal({"decision.insert", "print-run:R1", "C1",
                          "{\"n\":" + std::to_string(i) + "}"},
                         1000 + i));
  }
  return out;
}

VerifyResult Verify(const std::vector<AuditRecord>& log,
                    std::optional<ChainHead> anchor) {
  ChainVerifier v;
  for (const auto& r : log) {
    if (!v.Feed(r)) break;
  }
  return v.Finish(anchor);
}

ChainHead HeadOf(const std::vector<AuditRecord>& log) {
  return log.empty() ? ChainHead{} : ChainHead{log.back().seq, log.back().hash};
}

TEST(AuditChainTest, FirstEntryChainsFromGenesis) {
  auto log = MakeChain(1);
  EXPECT_EQ(log[0].seq, 1u);
  EXPECT_EQ(log[0].prev_hash, GenesisHash());
  EXPECT_EQ(log[0].hash, Sha256(GenesisHash() + CanonicalEncoding(log[0])));
}

TEST(AuditChainTest, IntactChainVerifies) {
  auto log = MakeChain(10);
  VerifyResult r = Verify(log, HeadOf(log));
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.entries_checked, 10u);
  EXPECT_EQ(r.head_hash, log.back().hash);
}

TEST(AuditChainTest, EmptyLogVerifies) {
  EXPECT_TRUE(Verify({}, ChainHead{}).ok);
}

TEST(AuditChainTest, AlteredPayloadIsFoundAtItsEntry) {
  auto log = MakeChain(10);
  log[3].payload_json[2] ^= 1;  // one byte of entry 4
  VerifyResult r = Verify(log, HeadOf(MakeChain(10)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4u);
  EXPECT_NE(r.detail.find("entry 4"), std::string::npos) << r.detail;
}

TEST(AuditChainTest, EveryFieldIsCovered) {
  for (int field = 0; field < 5; ++field) {
    auto log = MakeChain(3);
    AuditRecord& e = log[1];
    switch (field) {
      case 0:
        e.at += 1;
        break;
      case 1:
        e.kind += "x";
        break;
      case 2:
        e.actor += "x";
        break;
      case 3:
        e.customer_id += "x";
        break;
      case 4:
        e.payload_json += " ";
        break;
    }
    VerifyResult r = Verify(log, HeadOf(log));
    EXPECT_FALSE(r.ok) << "field " << field;
    EXPECT_EQ(r.first_bad_seq, 2u) << "field " << field;
  }
}

TEST(AuditChainTest, RehashedEntryBreaksTheNextLink) {
  auto log = MakeChain(5);
  log[1].actor = "mallory";
  log[1].hash = ComputeEntryHash(log[1]);  // forger recomputes entry 2 only
  VerifyResult r = Verify(log, HeadOf(log));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3u);
}

TEST(AuditChainTest, DeletedMiddleEntryIsFound) {
  auto log = MakeChain(5);
  log.erase(log.begin() + 2);
  VerifyResult r = Verify(log, HeadOf(MakeChain(5)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3u);
}

TEST(AuditChainTest, TruncatedTailIsFoundThroughTheAnchor) {
  auto full = MakeChain(6);
  auto log = full;
  log.resize(4);
  VerifyResult r = Verify(log, HeadOf(full));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5u);
  EXPECT_NE(r.detail.find("truncated"), std::string::npos) << r.detail;
}

TEST(AuditChainTest, AnchorHashMismatchIsFound) {
  auto log = MakeChain(3);
  ChainHead anchor = HeadOf(log);
  anchor.hash[0] ^= 1;
  VerifyResult r = Verify(log, anchor);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3u);
}

TEST(AuditChainTest, RewindDropsUncommittedEntries) {
  ChainBuilder b{ChainHead{}};
  b.Seal({"k", "a", "", "{}"}, 1);
  const ChainHead mark = b.head();
  b.Seal({"k", "a", "", "{}"}, 2);
  b.Rewind(mark);
  AuditRecord next = b.Seal({"k", "a", "", "{}"}, 3);
  EXPECT_EQ(next.seq, 2u);
  EXPECT_EQ(next.prev_hash, mark.hash);
}

TEST(AuditChainTest, TimeNeverRunsBackwards) {
  ChainBuilder b{ChainHead{}};
  b.Seal({"k", "a", "", "{}"}, 100);
  EXPECT_EQ(b.Seal({"k", "a", "", "{}"}, 50).at, 100);
}

TEST(AuditChainTest, EncodingIsInjective) {
  // Moving a byte between adjacent fields must change the encoding.
  AuditRecord a, b;
  a.kind = "ab";
  a.actor = "c";
  b.kind = "a";
  b.actor = "bc";
  EXPECT_NE(CanonicalEncoding(a), CanonicalEncoding(b));
}

}  // namespace
}  // namespace gatekeeper

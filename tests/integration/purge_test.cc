// Retention through the real daemon: with `retention.decisions` set to two
// seconds, decisions older than that and below the chain's cut are purged by
// AdminService.Purge (a dry run first, which removes nothing), the audit log
// verifies after the purge, across a restart, and after writes that follow it;
// the consent the decisions were about stays in force.
#include <algorithm>
#include <thread>

#include "gatekeeper/v1/admin_service.grpc.pb.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper::testing {
namespace {

class PurgeTest : public DaemonTest {
 protected:
  static DaemonOptions ShortRetention() {
    DaemonOptions o;
    o.extra_yaml = "retention:\n  decisions: PT2S\n";
    return o;
  }

  grpc::Status Purge(bool dry_run, v1::PurgeResponse* resp,
                     std::string requested_by = "dba") {
    auto admin = v1::AdminService::NewStub(daemon_->Channel());
    v1::PurgeRequest req;
    req.set_dry_run(dry_run);
    req.set_requested_by(std::move(requested_by));
    return admin->Purge(Ctx().get(), req, resp);
  }

  // The kinds of the customer's entries, in log order.
  std::vector<std::string> Kinds(const std::string& customer) {
    std::vector<std::string> kinds;
    for (const auto& e : QueryAudit(customer)) kinds.push_back(e.kind());
    return kinds;
  }

  static size_t CountOf(const std::vector<std::string>& kinds,
                        const std::string& kind) {
    return static_cast<size_t>(std::count(kinds.begin(), kinds.end(), kind));
  }
};

TEST_F(PurgeTest, OldDecisionsGoAndTheLogVerifiesAcrossARestart) {
  Restart(ShortRetention());
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent("C-1")).ok());
  // The chain is cut at a whole Merkle chunk (256 entries) of a fresh
  // checkpoint, so the log needs more than that.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 75; ++i) {
        EXPECT_EQ(CheckInsert("C-1", "k1").verdict(), v1::VERDICT_ALLOW);
      }
    });
  }
  for (auto& t : threads) t.join();
  size_t below_cut = 0;
  for (const auto& e : QueryAudit("C-1")) {
    if (e.kind() == "decision.insert" && e.seq() <= 256) ++below_cut;
  }
  ASSERT_EQ(CountOf(Kinds("C-1"), "decision.insert"), 300u);
  ASSERT_GT(below_cut, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));

  v1::PurgeResponse dry;
  ASSERT_TRUE(Purge(/*dry_run=*/true, &dry).ok());
  EXPECT_TRUE(dry.dry_run());
  EXPECT_EQ(dry.purged().decision_entries(), below_cut);
  EXPECT_EQ(dry.cut_seq(), 256u);
  EXPECT_TRUE(dry.audit_seqs().empty());
  EXPECT_EQ(CountOf(Kinds("C-1"), "decision.insert"), 300u) << "a dry run";

  v1::PurgeResponse done;
  ASSERT_TRUE(Purge(/*dry_run=*/false, &done).ok());
  EXPECT_FALSE(done.dry_run());
  EXPECT_EQ(done.purged().decision_entries(), below_cut);
  EXPECT_EQ(done.cut_seq(), 256u);
  ASSERT_FALSE(done.audit_seqs().empty());
  const std::vector<std::string> after = Kinds("C-1");
  // Those above the cut stay until a later purge can cut past them.
  EXPECT_EQ(CountOf(after, "decision.insert"), 300u - below_cut);
  EXPECT_EQ(CountOf(after, "consent.recorded"), 1u) << "the consent stays";
  bool logged = false;
  for (const auto& e : QueryAudit()) {
    if (e.seq() == done.audit_seqs(0)) {
      logged = e.kind() == "audit.purged";
    }
  }
  EXPECT_TRUE(logged) << "the purge is in the log";

  v1::VerifyAuditResponse v = Verify();
  EXPECT_TRUE(v.ok()) << v.detail();
  EXPECT_EQ(v.first_bad_seq(), 0u);

  Restart(ShortRetention());
  v = Verify();
  EXPECT_TRUE(v.ok()) << v.detail();
  // The consent still answers, and writes after the cut verify too.
  EXPECT_EQ(CheckInsert("C-1", "k1").verdict(), v1::VERDICT_ALLOW);
  v = Verify();
  EXPECT_TRUE(v.ok()) << v.detail();
}

TEST_F(PurgeTest, APurgeNeedsSomeoneToAnswerForIt) {
  v1::PurgeResponse resp;
  grpc::Status s = Purge(/*dry_run=*/false, &resp, /*requested_by=*/"");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("requested_by"), std::string::npos)
      << s.error_message();
}

}  // namespace
}  // namespace gatekeeper::testing

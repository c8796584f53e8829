// AuditService.WatchAudit against the real daemon: the entries after a seq,
// then new ones as they commit; kinds; a slow consumer dropped with
// RESOURCE_EXHAUSTED while the writers go on; bad kinds refused.
#include <atomic>
#include <thread>

#include "tests/testing/daemon_fixture.h"

namespace gatekeeper::testing {
namespace {

using Watch = grpc::ClientReader<v1::AuditEntry>;

class WatchAuditTest : public DaemonTest {
 protected:
  std::unique_ptr<Watch> StartWatch(grpc::ClientContext& ctx,
                                    uint64_t after_seq,
                                    std::vector<std::string> kinds = {}) {
    v1::WatchAuditRequest req;
    req.set_after_seq(after_seq);
    for (auto& k : kinds) req.add_kinds(std::move(k));
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    return audit_->WatchAudit(&ctx, req);
  }

  // A consumer whose transport buffers little (a small HTTP/2 window), so
  // that the daemon's writes wait on it as soon as it stops reading.
  std::unique_ptr<v1::AuditService::Stub> SmallWindowStub() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8192);
    return v1::AuditService::NewStub(grpc::CreateCustomChannel(
        daemon_->address(), grpc::InsecureChannelCredentials(), args));
  }
};

TEST_F(WatchAuditTest, SendsTheEntriesAfterASeqThenNewOnesAsTheyCommit) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Record(AdConsent("C-" + std::to_string(i))).ok());
  }
  grpc::ClientContext ctx;
  auto watch = StartWatch(ctx, 1);
  std::vector<v1::AuditEntry> got;
  v1::AuditEntry e;
  for (int i = 0; i < 2 && watch->Read(&e); ++i) got.push_back(e);
  // Written after the watch began: sent as they commit.
  CheckInsert("C-0", "leaflet-none");
  Withdraw("C-1", v1::PURPOSE_AD_INSERT);
  for (int i = 0; i < 2 && watch->Read(&e); ++i) got.push_back(e);
  ctx.TryCancel();
  const std::vector<v1::AuditEntry> log = QueryAudit();
  ASSERT_EQ(log.size(), 5u);
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq(), log[i + 1].seq());
    EXPECT_EQ(got[i].hash(), log[i + 1].hash());
    EXPECT_EQ(got[i].payload_json(), log[i + 1].payload_json());
  }
  EXPECT_EQ(got[2].kind(), "decision.insert");
}

TEST_F(WatchAuditTest, SendsOnlyTheKindsAsked) {
  ASSERT_TRUE(Record(AdConsent("C-1")).ok());
  CheckInsert("C-1", "leaflet-none");
  ASSERT_TRUE(Record(AdConsent("C-2")).ok());
  CheckInsert("C-2", "leaflet-none");
  grpc::ClientContext ctx;
  auto watch = StartWatch(ctx, 0, {"decision."});
  v1::AuditEntry e;
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 2 && watch->Read(&e); ++i) {
    EXPECT_EQ(e.kind(), "decision.insert");
    seqs.push_back(e.seq());
  }
  EXPECT_EQ(seqs, (std::vector<uint64_t>{2, 4}));
  ctx.TryCancel();
}

TEST_F(WatchAuditTest, BadKindsAreInvalidArgument) {
  grpc::ClientContext ctx;
  auto watch = StartWatch(ctx, 0, {"decision.", ""});
  v1::AuditEntry e;
  EXPECT_FALSE(watch->Read(&e));
  const grpc::Status s = watch->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("kinds[1]: ", 0), 0u) << s.error_message();
}

TEST_F(WatchAuditTest, ASlowConsumerIsDroppedAndHoldsNoWriter) {
  DaemonOptions o;
  o.extra_yaml = "watch_audit:\n  max_backlog: 50\n";
  Restart(o);
  auto stub = SmallWindowStub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto watch = stub->WatchAudit(&ctx, v1::WatchAuditRequest());
  // The writers go on at full speed while the consumer does not read.
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      EXPECT_TRUE(Record(AdConsent("C-" + std::to_string(i))).ok());
    }
  });
  writer.join();  // nothing waited for the consumer
  v1::AuditEntry e;
  int read = 0;
  while (watch->Read(&e)) {
    ++read;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const grpc::Status s = watch->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  EXPECT_NE(s.error_message().find("watch again with after_seq=" +
                                   std::to_string(read)),
            std::string::npos)
      << s.error_message() << " after " << read << " entries";
  EXPECT_LT(read, 400);
}

// A consumer that never reads again leaves the daemon's writer waiting on
// flow control, where it cannot look at the log; the watchdog cancels it.
TEST_F(WatchAuditTest, AConsumerThatStopsReadingIsCancelled) {
  DaemonOptions o;
  o.extra_yaml =
      "watch_audit:\n  max_backlog: 50\n  stalled_after_seconds: 1\n";
  Restart(o);
  auto stub = SmallWindowStub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto watch = stub->WatchAudit(&ctx, v1::WatchAuditRequest());
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(Record(AdConsent("C-" + std::to_string(i))).ok());
  }
  // Not a single Read: the daemon must notice on its own.
  const std::string said = "WatchAudit: cancelled a consumer that stopped";
  for (int i = 0; i < 100 && daemon_->Stderr().find(said) == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(daemon_->Stderr().find(said), std::string::npos)
      << daemon_->Stderr();
  v1::AuditEntry e;
  int read = 0;
  while (watch->Read(&e)) ++read;
  const grpc::Status s = watch->Finish();
  EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
  EXPECT_NE(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
  EXPECT_LT(read, 400);
  // The daemon goes on serving watchers.
  grpc::ClientContext again;
  auto next = StartWatch(again, 399);
  ASSERT_TRUE(next->Read(&e));
  EXPECT_EQ(e.seq(), 400u);
}

TEST_F(WatchAuditTest, AStoppingDaemonEndsTheWatchAndDoesNotWaitForIt) {
  ASSERT_TRUE(Record(AdConsent("C-1")).ok());
  grpc::ClientContext ctx;
  auto watch = StartWatch(ctx, 0);
  v1::AuditEntry e;
  ASSERT_TRUE(watch->Read(&e));
  const auto t0 = std::chrono::steady_clock::now();
  std::thread stop([&] { EXPECT_EQ(daemon_->Stop(SIGTERM), 0); });
  EXPECT_FALSE(watch->Read(&e));
  const grpc::Status s = watch->Finish();
  // The stream ends at once with where to resume; the daemon's own exit may
  // then wait up to its 5 s grace for this test's idle channel to close.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  stop.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
      << s.error_message() << "\n"
      << daemon_->Stderr();
  EXPECT_NE(s.error_message().find("after_seq=1"), std::string::npos)
      << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8))
      << daemon_->Stderr();
}

}  // namespace
}  // namespace gatekeeper::testing

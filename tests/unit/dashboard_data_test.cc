// The dashboard's data (daemon/ops/dashboard_data.h): the JSON document built
// from its inputs, the recent rows from the audit log's tail (masked phones
// only, newest first, capped), the last VerifyAudit, readiness, and a log that
// cannot be read; CollectDashboard against a real store.
#include "daemon/ops/dashboard_data.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/common/strings.h"
#include "daemon/store/sqlite_store.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

using Json = nlohmann::json;

// 2026-12-01T00:30:00.25Z
constexpr Micros kNow = 1'796'085'000'250'000;
constexpr int kJst = 9 * 3600;
constexpr char kHmac[] = "5f0c8d2e9a7b6c4d3e2f1a0b9c8d7e6f";

AuditRecord Entry(uint64_t seq, std::string kind, std::string customer,
                  std::string payload) {
  AuditRecord r;
  r.seq = seq;
  r.at = kNow - static_cast<Micros>(100 - seq) * 1'000'000;
  r.kind = std::move(kind);
  r.actor = "test";
  r.customer_id = std::move(customer);
  r.payload_json = std::move(payload);
  return r;
}

AuditRecord Dial(uint64_t seq, const std::string& verdict = "VERDICT_ALLOW") {
  return Entry(
      seq, "decision.dial", "C-2",
      StrCat(
          R"({"decision_id":"dec_)", seq,
          R"(","purpose":"PURPOSE_TELEMARKETING","campaign_id":"call-fibre",)"
          R"("company_id":"hikari-net","customer_id":"C-2",)"
          R"("agent_id":"agent-7","phone_hmac":")",
          kHmac, R"(","phone_masked":"+81 90-****-5678","verdict":")", verdict,
          R"(","reasons":["REASON_CONSENT_ON_RECORD"],)",
          R"("provision":{"phone_hmac":")", kHmac, R"("}})"));
}

AuditRecord Insert(uint64_t seq) {
  return Entry(
      seq, "decision.insert", "C-9",
      R"({"decision_id":"dec_i","purpose":"PURPOSE_AD_INSERT",)"
      R"("campaign_id":"leaflet-fibre","company_id":"hikari-net",)"
      R"("customer_id":"C-9","print_run_id":"run-2026-05","document_id":"doc-1",)"
      R"("verdict":"VERDICT_BLOCK","reasons":["REASON_NO_CONSENT",)"
      R"("REASON_CONSENT_EXPIRED"]})");
}

// protobuf's JSON mapping: 64-bit integers as strings, batch_no 0 left out.
AuditRecord Batch(uint64_t seq) {
  return Entry(
      seq, "print.batch", "",
      R"({"print_run_id":"run-m","documents":"2","decisions":"4",)"
      R"("allowed_by_campaign":{"leaflet-fibre":"1"},)"
      R"("blocked_by_reason":{"NO_CONSENT":"1","UNKNOWN_CAMPAIGN":"2"},)"
      R"("decisions_sha256":"ab"})");
}

AuditRecord Violation(uint64_t seq) {
  return Entry(seq, "disclosure.violation", "C-2",
               StrCat(R"({"decision_id":"dec_)", seq - 1,
                      R"(","agent_id":"agent-7","violations":)"
                      R"(["AGENT_NAME was not disclosed",)"
                      R"("disclosed after the pitch started"],)"
                      R"("customer_id":"C-2","company_id":"hikari-net",)"
                      R"("campaign_id":"call-fibre"})"));
}

DashboardInputs Inputs() {
  DashboardInputs in;
  in.now = kNow;
  in.utc_offset_seconds = kJst;
  in.ready = true;
  in.head_seq = 0;
  MinuteRing ring;
  in.stats.per_minute = ring.Last60(kNow);
  return in;
}

Json Build(const DashboardInputs& in) {
  const std::string text = BuildDashboardJson(in);
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(j.is_object()) << text;
  return j;
}

std::vector<uint64_t> Seqs(const Json& rows) {
  std::vector<uint64_t> out;
  for (const Json& r : rows) out.push_back(r["seq"].get<uint64_t>());
  return out;
}

TEST(DashboardDataTest, CountsTimesAndHealthAreAllThere) {
  DashboardInputs in = Inputs();
  in.event_log = EventLogHealth{3, 1};
  in.head_seq = 42;
  in.stats.totals[1] = {2, 5};  // AD_INSERT: 2 BLOCK, 5 ALLOW
  in.stats.totals[2] = {1, 0};
  MinuteRing ring;
  ring.Add(1, true, 5, kNow);
  ring.Add(2, false, 1, kNow - 59 * MinuteRing::kMinuteMicros);
  in.stats.per_minute = ring.Last60(kNow);
  in.stats.disclosure_violations = 2;
  for (int i = 0; i < 10; ++i) {
    in.stats.block_reasons.emplace_back(StrCat("R", i),
                                        static_cast<uint64_t>(20 - i));
  }
  const Json j = Build(in);
  EXPECT_EQ(j["generated_at"], "2026-12-01T09:30:00.250+09:00");
  EXPECT_EQ(j["health"],
            Json::parse(R"({"ready":true,)"
                        R"("event_log":{"lag":3,"failed_lines":1}})"));
  EXPECT_EQ(j["audit"], Json::parse(R"({"head_seq":42,"last_verify":null})"));
  EXPECT_EQ(j["totals"],
            Json::parse(R"({"AD_INSERT":{"ALLOW":5,"BLOCK":2},)"
                        R"("TELEMARKETING":{"ALLOW":0,"BLOCK":1}})"));
  ASSERT_EQ(j["per_minute"].size(), 60u);
  EXPECT_EQ(j["per_minute"][0],
            Json::parse(R"({"minute":"2026-12-01T08:31:00+09:00",)"
                        R"("AD_INSERT":{"ALLOW":0,"BLOCK":0},)"
                        R"("TELEMARKETING":{"ALLOW":0,"BLOCK":1}})"));
  EXPECT_EQ(j["per_minute"][59]["minute"], "2026-12-01T09:30:00+09:00");
  EXPECT_EQ(j["per_minute"][59]["AD_INSERT"]["ALLOW"], 5);
  ASSERT_EQ(j["top_block_reasons"].size(), kDashboardTopReasons);
  EXPECT_EQ(j["top_block_reasons"][0],
            Json::parse(R"({"reason":"R0","count":20})"));
  EXPECT_EQ(j["disclosure_violations"], 2);
  EXPECT_EQ(j["recent"], Json::array());
  EXPECT_EQ(j["recent_violations"], Json::array());
  EXPECT_FALSE(j.contains("recent_error"));
}

TEST(DashboardDataTest, RecentDecisionsAreNewestFirstWithOnlyMaskedPhones) {
  DashboardInputs in = Inputs();
  in.tail = {Insert(1), Dial(2), Entry(3, "consent.recorded", "C-1", "{}"),
             Batch(4), Violation(5)};
  in.head_seq = 5;
  const std::string text = BuildDashboardJson(in);
  EXPECT_EQ(text.find("phone_hmac"), std::string::npos) << text;
  EXPECT_EQ(text.find(kHmac), std::string::npos) << text;
  const Json j = Json::parse(text);
  EXPECT_EQ(Seqs(j["recent"]), (std::vector<uint64_t>{4, 2, 1}));
  EXPECT_EQ(
      j["recent"][1],
      Json::parse(R"({"ts":"2026-12-01T09:28:22.250+09:00","seq":2,)"
                  R"("kind":"decision.dial","purpose":"TELEMARKETING",)"
                  R"("verdict":"ALLOW","reasons":["CONSENT_ON_RECORD"],)"
                  R"("campaign_id":"call-fibre","company_id":"hikari-net",)"
                  R"("phone_masked":"+81 90-****-5678",)"
                  R"("agent_id":"agent-7","customer_id":"C-2"})"));
  const Json& insert = j["recent"][2];
  EXPECT_EQ(insert["purpose"], "AD_INSERT");
  EXPECT_EQ(insert["verdict"], "BLOCK");
  EXPECT_EQ(insert["reasons"],
            Json::parse(R"(["NO_CONSENT","CONSENT_EXPIRED"])"));
  EXPECT_EQ(insert["phone_masked"], "");
  EXPECT_EQ(insert["agent_id"], "");
  EXPECT_EQ(insert["customer_id"], "C-9");
}

TEST(DashboardDataTest, APrintBatchIsOneRowWithItsCounts) {
  DashboardInputs in = Inputs();
  in.tail = {Batch(7)};
  const Json row = Build(in)["recent"][0];
  EXPECT_EQ(row["kind"], "print.batch");
  EXPECT_EQ(row["purpose"], "AD_INSERT");
  EXPECT_EQ(row["print_run_id"], "run-m");
  EXPECT_EQ(row["batch_no"], 0);  // left out of the payload as a zero
  EXPECT_EQ(row["documents"], 2);
  EXPECT_EQ(row["decisions"], 4);
  EXPECT_EQ(row["allowed"], 1);
  EXPECT_EQ(row["blocked"], 3);
  EXPECT_EQ(row["reasons"],
            Json::parse(R"(["NO_CONSENT","UNKNOWN_CAMPAIGN"])"));
  EXPECT_FALSE(row.contains("verdict"));
}

TEST(DashboardDataTest, DisclosureViolationsAreListedNewestFirst) {
  DashboardInputs in = Inputs();
  in.tail = {Dial(1), Violation(2), Dial(3), Violation(4)};
  const Json j = Build(in);
  EXPECT_EQ(Seqs(j["recent_violations"]), (std::vector<uint64_t>{4, 2}));
  EXPECT_EQ(
      j["recent_violations"][0],
      Json::parse(R"({"ts":"2026-12-01T09:28:24.250+09:00","seq":4,)"
                  R"("kind":"disclosure.violation","decision_id":"dec_3",)"
                  R"("agent_id":"agent-7","campaign_id":"call-fibre",)"
                  R"("company_id":"hikari-net","customer_id":"C-2",)"
                  R"("violations":["AGENT_NAME was not disclosed",)"
                  R"("disclosed after the pitch started"]})"));
}

TEST(DashboardDataTest, RecentRowsAndViolationsAreCapped) {
  DashboardInputs in = Inputs();
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    in.tail.push_back(seq % 2 == 0 ? Dial(seq) : Violation(seq));
  }
  const Json j = Build(in);
  ASSERT_EQ(j["recent"].size(), kDashboardRecentRows);
  EXPECT_EQ(j["recent"][0]["seq"], 200);
  ASSERT_EQ(j["recent_violations"].size(), kDashboardRecentViolations);
  EXPECT_EQ(j["recent_violations"][0]["seq"], 199);
}

TEST(DashboardDataTest, NotReadySaysWhyAndNoEventLogIsNull) {
  DashboardInputs in = Inputs();
  in.ready = false;
  in.not_ready_why = "the daemon is stopping";
  const Json h = Build(in)["health"];
  EXPECT_EQ(h, Json::parse(R"({"ready":false,"why":"the daemon is stopping",)"
                           R"("event_log":null})"));
}

TEST(DashboardDataTest, TheLastVerifyIsShownWithItsProblem) {
  DashboardInputs in = Inputs();
  in.last_verify = VerifyOutcome{kNow - 1'000'000, true, 41, ""};
  EXPECT_EQ(Build(in)["audit"]["last_verify"],
            Json::parse(R"({"at":"2026-12-01T09:29:59.250+09:00","ok":true,)"
                        R"("entries_checked":41})"));
  in.last_verify =
      VerifyOutcome{kNow, false, 6, "entry 7: content does not match its hash"};
  EXPECT_EQ(
      Build(in)["audit"]["last_verify"],
      Json::parse(R"({"at":"2026-12-01T09:30:00.250+09:00","ok":false,)"
                  R"("entries_checked":6,)"
                  R"("problem":"entry 7: content does not match its hash"})"));
}

TEST(DashboardDataTest, AnUnreadableLogIsReportedAndTheRestStillShown) {
  DashboardInputs in = Inputs();
  in.head_seq = 9;
  in.stats.totals[1] = {0, 1};
  in.tail_error = "the audit log could not be read: disk I/O error";
  const Json j = Build(in);
  EXPECT_EQ(j["recent_error"], in.tail_error);
  EXPECT_EQ(j["recent"], Json::array());
  EXPECT_EQ(j["audit"]["head_seq"], 9);
  EXPECT_EQ(j["totals"]["AD_INSERT"]["ALLOW"], 1);
}

TEST(DashboardDataTest, InvalidUtf8InTheLogStillMakesValidJson) {
  DashboardInputs in = Inputs();
  AuditRecord r = Insert(1);
  r.customer_id = "C-\xff\xfe";
  in.tail = {r};
  const std::string text = BuildDashboardJson(in);
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << text;
  EXPECT_EQ(j["recent"][0]["customer_id"], "C-\xEF\xBF\xBD\xEF\xBF\xBD");
}

// ---- CollectDashboard against a real store ----

class CollectDashboardTest : public ::testing::Test {
 protected:
  CollectDashboardTest() : clock_(kNow) {
    SqliteStoreOptions o;
    o.path = (dir_.path() / "gk.db").string();
    o.clock = &clock_;
    auto s = SqliteStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  ~CollectDashboardTest() override {
    if (store_ != nullptr) store_->Close();
  }

  void LogDials(int n) {
    std::vector<AuditDraft> drafts;
    for (int i = 0; i < n; ++i) {
      const AuditRecord d = Dial(static_cast<uint64_t>(i + 1));
      drafts.push_back(
          {d.kind, "agent:agent-7", d.customer_id, d.payload_json});
    }
    ASSERT_TRUE(store_->LogEvents(std::move(drafts)).ok());
    feed_.Publish(store_->DurableHeadSeq());
  }

  DashboardSources Sources() {
    return {metrics_,
            *store_,
            feed_,
            nullptr,
            last_verify_,
            [this](std::string* why) {
              *why = why_;
              return why_.empty();
            },
            clock_,
            kJst};
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  Metrics metrics_{{"hikari-net"}, "v", "c"};
  AuditFeed feed_;
  LastVerify last_verify_;
  std::string why_;
};

TEST_F(CollectDashboardTest, ReadsTheLastEntriesUpToTheHead) {
  LogDials(510);
  DashboardInputs in = CollectDashboard(Sources());
  EXPECT_EQ(in.head_seq, 510u);
  ASSERT_EQ(in.tail.size(), kDashboardTailEntries);
  EXPECT_EQ(in.tail.front().seq, 11u);
  EXPECT_EQ(in.tail.back().seq, 510u);
  EXPECT_TRUE(in.tail_error.empty());
  EXPECT_TRUE(in.ready);
  EXPECT_FALSE(in.event_log.has_value());
  EXPECT_EQ(in.now, kNow);
  EXPECT_EQ(in.stats.per_minute.size(), 60u);
}

TEST_F(CollectDashboardTest, EntriesBeyondThePublishedHeadAreNotShown) {
  LogDials(5);
  AuditFeed behind(3);  // the feed has not published the last two yet
  DashboardSources s{metrics_,     *store_, behind, nullptr,
                     last_verify_, nullptr, clock_, kJst};
  DashboardInputs in = CollectDashboard(s);
  EXPECT_EQ(in.head_seq, 3u);
  ASSERT_EQ(in.tail.size(), 3u);
  EXPECT_EQ(in.tail.back().seq, 3u);
  EXPECT_TRUE(in.ready);  // no readiness callback: ready
}

TEST_F(CollectDashboardTest, AnEmptyLogHasNoRowsAndNoError) {
  DashboardInputs in = CollectDashboard(Sources());
  EXPECT_EQ(in.head_seq, 0u);
  EXPECT_TRUE(in.tail.empty());
  EXPECT_TRUE(in.tail_error.empty());
  EXPECT_FALSE(in.last_verify.has_value());
}

TEST_F(CollectDashboardTest, NotReadyAndTheLastVerifyComeThrough) {
  why_ = "the store refuses writes after an I/O error (see stderr)";
  VerifyResult r;
  r.entries_checked = 0;
  last_verify_.Record(kNow, r);
  DashboardInputs in = CollectDashboard(Sources());
  EXPECT_FALSE(in.ready);
  EXPECT_EQ(in.not_ready_why, why_);
  ASSERT_TRUE(in.last_verify.has_value());
  EXPECT_TRUE(in.last_verify->ok);
}

TEST_F(CollectDashboardTest, ALogThatCannotBeReadIsReportedNotFatal) {
  LogDials(3);
  // The audit table gone from under the store: its reads fail.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "gk.db").c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE audit RENAME TO audit_gone", nullptr,
                         nullptr, &err),
            SQLITE_OK)
      << (err != nullptr ? err : "");
  sqlite3_close(db);
  DashboardInputs in = CollectDashboard(Sources());
  EXPECT_EQ(in.head_seq, 3u);
  EXPECT_TRUE(in.tail.empty());
  EXPECT_EQ(in.tail_error.rfind("the audit log could not be read: ", 0), 0u)
      << in.tail_error;
  const Json j = Json::parse(BuildDashboardJson(in));
  EXPECT_EQ(j["recent_error"], in.tail_error);
}

}  // namespace
}  // namespace gatekeeper

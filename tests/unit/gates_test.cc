// The dial gate on the injected clock: Gates over a real SqliteStore in a
// temp dir, with a FakeClock moved across the calling hours, a blackout date
// and the local midnight that resets the daily cap; reloaded configs.
#include "daemon/server/gates.h"

#include <gtest/gtest.h>

#include <future>

#include "daemon/common/crypto.h"
#include "daemon/common/local_time.h"
#include "daemon/common/phone.h"
#include "daemon/common/strings.h"
#include "daemon/policy/campaign.h"
#include "daemon/server/live_config.h"
#include "daemon/store/sqlite_store.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_config.h"

namespace gatekeeper {
namespace {

constexpr int kJst = 9 * 3600;
constexpr Micros kDay = 86'400'000'000;
// 2026-12-01 (a Tuesday) 00:00 JST.
const Micros kMidnight = LocalDayStart(*ParseIsoDate("2026-12-01"), kJst);

Micros At(int day, int hh, int mm) {
  return kMidnight + day * kDay + (hh * 60 + mm) * kMicrosPerMinute;
}

class GatesClockTest : public ::testing::Test {
 protected:
  GatesClockTest()
      : clock_(At(0, 12, 0)),
        pseudonymizer_(Pseudonymizer::ForTesting(std::string(32, 'k'))) {}

  // The test config with these calling rules (YAML lines).
  static std::string ConfigText(std::string_view rules) {
    return StrCat(testing::kTestConfigYaml, "data_dir: \"/x\"\n", rules);
  }
  static constexpr std::string_view kRules =
      "calling_hours: {start: \"09:00\", end: \"20:00\"}\n"
      "blackout_dates: [\"2026-12-02\"]\n"
      "frequency_caps: {per_number_per_campaign_per_day: 1}\n";

  void SetUp() override {
    auto cfg = LoadConfigText(ConfigText(kRules), "t.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    config_ = std::make_unique<LiveConfig>(
        std::make_shared<const ConfigSnapshot>(*std::move(cfg), "", 1));
    SqliteStoreOptions o;
    o.path = (dir_.path() / "gk.db").string();
    o.clock = &clock_;
    auto s = SqliteStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    gates_ = std::make_unique<Gates>(*store_, *config_, pseudonymizer_, clock_);

    NewConsent c;
    c.consent_id = "c1";
    c.customer_id = "C1";
    c.purpose = v1::PURPOSE_TELEMARKETING;
    c.company_id = "hikari-net";
    c.phone_pseudonym = pseudonymizer_.Pseudonym("+819012345678");
    c.phone_masked = "+81 90-****-5678";
    c.notice_id = "tm-2026-04";
    c.channel = v1::CONSENT_CHANNEL_RECORDED_CALL;
    c.evidence_ref = "rec-1";
    c.collected_at = At(-30, 0, 0);
    c.collected_by = "cc";
    c.recorded_at = c.collected_at;
    ASSERT_TRUE(store_->RecordConsent(c).ok());
    v1::CreateCampaignRequest req;
    req.set_actor("alice");
    v1::Campaign* k = req.mutable_campaign();
    k->set_campaign_id("k1");
    k->set_kind(v1::CAMPAIGN_KIND_CALL);
    k->set_company_id("hikari-net");
    k->set_goods_type("光回線サービス");
    k->set_regime(v1::REGIME_TOKUSHOHO);
    *k->mutable_starts_at() = FromMicros(At(-30, 0, 0));
    *k->mutable_ends_at() = FromMicros(At(30, 0, 0));
    ASSERT_TRUE(
        store_->CreateCampaign(policy::NewDraft(req, At(-30, 0, 0)), "alice")
            .ok());
    ASSERT_TRUE(store_
                    ->TransitionCampaign("k1", "campaign.approved", "bob",
                                         [](const v1::Campaign& cur) {
                                           return policy::Approve(
                                               cur, "bob", "", At(-30, 0, 0), {});
                                         })
                    .ok());
  }

  // The answer to a dial at `now`.
  absl::StatusOr<v1::CheckDialResponse> Dial(Micros now) {
    clock_.Set(now);
    v1::CheckDialRequest req;
    req.set_phone_number("090-1234-5678");
    req.set_campaign_id("k1");
    req.set_agent_id("tanaka");
    std::promise<absl::StatusOr<v1::CheckDialResponse>> done;
    gates_->CheckDial(req, [&](auto r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  // The reasons of a dial at `now` (CONSENT_ON_RECORD for an ALLOW).
  std::vector<v1::Reason> DialAt(Micros now) {
    auto r = Dial(now);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<v1::Reason> out;
    if (r.ok()) {
      for (int x : r->decision().reasons()) {
        out.push_back(static_cast<v1::Reason>(x));
      }
    }
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  Pseudonymizer pseudonymizer_;
  std::unique_ptr<LiveConfig> config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Gates> gates_;
};

using Reasons = std::vector<v1::Reason>;
const Reasons kAllow = {v1::REASON_CONSENT_ON_RECORD};
const Reasons kHours = {v1::REASON_OUTSIDE_CALLING_HOURS};
const Reasons kCap = {v1::REASON_FREQUENCY_CAP};

TEST_F(GatesClockTest, CallingHoursFollowTheClock) {
  EXPECT_EQ(DialAt(At(0, 8, 59)), kHours);
  EXPECT_EQ(DialAt(At(0, 9, 0)), kAllow);
  // The day's dial was allowed: the cap of 1 holds until local midnight.
  EXPECT_EQ(DialAt(At(0, 19, 59)), kCap);
  EXPECT_EQ(DialAt(At(0, 20, 0)), (Reasons{v1::REASON_OUTSIDE_CALLING_HOURS,
                                           v1::REASON_FREQUENCY_CAP}));
}

TEST_F(GatesClockTest, BlackoutDateIsTheWholeLocalDay) {
  EXPECT_EQ(DialAt(At(1, 0, 0) - 1), kHours);  // 2026-12-01 23:59:59 JST
  EXPECT_EQ(DialAt(At(1, 12, 0)), kHours);     // 2026-12-02, the blackout
  EXPECT_EQ(DialAt(At(2, 9, 0)), kAllow);      // 2026-12-03
}

TEST_F(GatesClockTest, DailyCapResetsAtLocalMidnight) {
  EXPECT_EQ(DialAt(At(0, 19, 0)), kAllow);
  EXPECT_EQ(DialAt(At(0, 19, 30)), kCap);
  // The next day is a blackout date; the day after, allowed again.
  EXPECT_EQ(DialAt(At(2, 9, 0)), kAllow);
  EXPECT_EQ(DialAt(At(2, 9, 1)), kCap);
}

// A reload (a new snapshot published) governs the next decision: hours
// narrowed, a blackout date added, the cap lifted, the seller's name changed
// in the disclosure.
TEST_F(GatesClockTest, AReloadedConfigGovernsTheNextDecision) {
  EXPECT_EQ(DialAt(At(0, 9, 30)), kAllow);
  auto plan = PlanReload(
      *config_->Get(),
      ConfigText("calling_hours: {start: \"10:00\", end: \"20:00\"}\n"
                 "blackout_dates: [\"2026-12-02\", \"2026-12-03\"]\n"),
      "t.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->changed,
            (std::vector<std::string>{"calling_hours", "blackout_dates",
                                      "frequency_caps"}));
  EXPECT_EQ(plan->next->generation, 2u);
  config_->Set(plan->next);
  EXPECT_EQ(DialAt(At(0, 9, 45)), kHours);  // before the new start
  EXPECT_EQ(DialAt(At(0, 10, 0)), kAllow);  // no cap any more
  EXPECT_EQ(DialAt(At(0, 10, 1)), kAllow);
  EXPECT_EQ(DialAt(At(2, 12, 0)), kHours);  // the new blackout date
}

TEST_F(GatesClockTest, AReloadedSellerIsDisclosedOnTheNextDial) {
  auto before = Dial(At(2, 9, 0));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->disclosure().seller_name(), "ひかりネット株式会社");
  std::string text = ConfigText("");
  const std::string from = "ひかりネット株式会社";
  text.replace(text.find(from), from.size(), "ひかりネットワークス株式会社");
  auto plan = PlanReload(*config_->Get(), text, "t.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  config_->Set(plan->next);
  auto after = Dial(At(2, 9, 1));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->decision().verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(after->disclosure().seller_name(), "ひかりネットワークス株式会社");
}

TEST(PlanReloadTest, RestartOnlyKeysAreRefusedByName) {
  const std::string base =
      StrCat(testing::kTestConfigYaml, "data_dir: \"/x\"\n");
  auto cfg = LoadConfigText(base, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const ConfigSnapshot current(*std::move(cfg), "abc", 1);
  std::string moved = StrCat(testing::kTestConfigYaml, "data_dir: \"/y\"\n");
  moved += "http: {listen: \"127.0.0.1:9464\"}\nmax_batch: 64\n";
  moved += "audit_checkpoints: {interval_seconds: 5}\n";
  auto plan = PlanReload(current, moved, "t.yaml");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            "t.yaml: data_dir, max_batch, http, audit_checkpoints cannot "
            "change while the daemon runs; restart it to apply them (nothing "
            "was reloaded)");
}

TEST(PlanReloadTest, RetentionChangesWithAReload) {
  const std::string base =
      StrCat(testing::kTestConfigYaml, "data_dir: \"/x\"\n");
  auto cfg = LoadConfigText(base, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const ConfigSnapshot current(*std::move(cfg), "abc", 1);
  auto plan =
      PlanReload(current, base + "retention: {decisions: P2Y}\n", "t.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->changed, std::vector<std::string>{"retention"});
  EXPECT_EQ(plan->next->config().retention().decisions(), "P2Y");
}

TEST(PlanReloadTest, ABadFileIsRefusedWithItsLine) {
  const std::string base =
      StrCat(testing::kTestConfigYaml, "data_dir: \"/x\"\n");
  auto cfg = LoadConfigText(base, "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const ConfigSnapshot current(*std::move(cfg), "abc", 1);
  auto plan = PlanReload(current, base + "calling_hours: {start: \"25:00\"}\n",
                         "t.yaml");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("calling_hours"), std::string::npos)
      << plan.status();
  auto same = PlanReload(current, base, "t.yaml");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->changed.empty());
  EXPECT_EQ(same->next->sha256, ToHex(Sha256(base)));
}

}  // namespace
}  // namespace gatekeeper

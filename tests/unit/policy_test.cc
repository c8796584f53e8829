// Table-driven tests of the pure decision rules: one row per rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/common/local_time.h"
#include "daemon/policy/decide.h"

namespace gatekeeper::policy {
namespace {

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kNow = 1'780'000'000'000'000;  // 2026-05-28

using R = v1::Reason;

v1::Campaign MakeCampaign(v1::CampaignKind kind, v1::CampaignState state,
                          Micros starts = kNow - kDay,
                          Micros ends = kNow + kDay) {
  v1::Campaign c;
  c.set_campaign_id("k1");
  c.set_kind(kind);
  c.set_company_id("hikari-net");
  c.set_state(state);
  *c.mutable_starts_at() = FromMicros(starts);
  *c.mutable_ends_at() = FromMicros(ends);
  return c;
}

ConsentFact Granted(std::string id, std::string phone = "",
                    std::string customer = "C1") {
  ConsentFact f;
  f.consent_id = std::move(id);
  f.customer_id = std::move(customer);
  f.phone_pseudonym = std::move(phone);
  f.collected_at = kNow - kDay;
  f.state = v1::CONSENT_STATE_GRANTED;
  return f;
}

ConsentFact Withdrawn(std::string id, std::string phone = "") {
  ConsentFact f = Granted(std::move(id), std::move(phone));
  f.state = v1::CONSENT_STATE_WITHDRAWN;
  return f;
}

ConsentFact Expired(std::string id, std::string phone = "") {
  ConsentFact f = Granted(std::move(id), std::move(phone));
  f.expires_at = kNow - 1;
  return f;
}

struct InsertRow {
  std::string name;
  std::optional<v1::Campaign> campaign;
  std::vector<ConsentFact> consents;
  v1::Verdict verdict;
  std::vector<R> reasons;
  std::string consent_id;
};

const v1::Campaign kInsertOk =
    MakeCampaign(v1::CAMPAIGN_KIND_INSERT, v1::CAMPAIGN_STATE_APPROVED);

std::vector<InsertRow> InsertRows() {
  ConsentFact future = Granted("c-future");
  future.collected_at = kNow + 1;
  ConsentFact expires_now = Granted("c-edge");
  expires_now.expires_at = kNow;  // expiry is exclusive: at now it is over
  ConsentFact expires_later = Granted("c-later");
  expires_later.expires_at = kNow + 1;
  ConsentFact newer = Granted("c-new");
  newer.collected_at = kNow - 1;
  return {
      {"ConsentOnRecordAllows",
       kInsertOk,
       {Granted("c1")},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c1"},
      {"NoConsentBlocks",
       kInsertOk,
       {},
       v1::VERDICT_BLOCK,
       {v1::REASON_NO_CONSENT},
       ""},
      {"WithdrawnBlocks",
       kInsertOk,
       {Withdrawn("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_WITHDRAWN},
       ""},
      {"ExpiredBlocks",
       kInsertOk,
       {Expired("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_EXPIRED},
       ""},
      {"ExpiryAtNowBlocks",
       kInsertOk,
       {expires_now},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_EXPIRED},
       ""},
      {"ExpiryAfterNowAllows",
       kInsertOk,
       {expires_later},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c-later"},
      {"CollectedInFutureIsNoConsent",
       kInsertOk,
       {future},
       v1::VERDICT_BLOCK,
       {v1::REASON_NO_CONSENT},
       ""},
      {"WithdrawnAndExpiredListsBoth",
       kInsertOk,
       {Withdrawn("c1"), Expired("c2")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_WITHDRAWN, v1::REASON_CONSENT_EXPIRED},
       ""},
      {"RegrantAfterWithdrawalAllows",
       kInsertOk,
       {Withdrawn("c1"), Granted("c2")},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c2"},
      {"NewestEffectiveConsentIsReliedOn",
       kInsertOk,
       {Granted("c-old"), newer},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c-new"},
      {"UnknownCampaignBlocks",
       std::nullopt,
       {Granted("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_UNKNOWN_CAMPAIGN},
       ""},
      {"DraftCampaignBlocks",
       MakeCampaign(v1::CAMPAIGN_KIND_INSERT, v1::CAMPAIGN_STATE_DRAFT),
       {Granted("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_NOT_APPROVED},
       ""},
      {"RetiredCampaignBlocks",
       MakeCampaign(v1::CAMPAIGN_KIND_INSERT, v1::CAMPAIGN_STATE_RETIRED),
       {Granted("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_NOT_APPROVED},
       ""},
      {"BeforeWindowBlocks",
       MakeCampaign(v1::CAMPAIGN_KIND_INSERT, v1::CAMPAIGN_STATE_APPROVED,
                    kNow + 1, kNow + kDay),
       {Granted("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_OUTSIDE_WINDOW},
       ""},
      {"WindowEndIsExclusive",
       MakeCampaign(v1::CAMPAIGN_KIND_INSERT, v1::CAMPAIGN_STATE_APPROVED,
                    kNow - kDay, kNow),
       {Granted("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_OUTSIDE_WINDOW},
       ""},
      {"WindowStartIsInclusive",
       MakeCampaign(v1::CAMPAIGN_KIND_INSERT, v1::CAMPAIGN_STATE_APPROVED, kNow,
                    kNow + kDay),
       {Granted("c1")},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c1"},
      {"CallCampaignForInsertBlocks",
       MakeCampaign(v1::CAMPAIGN_KIND_CALL, v1::CAMPAIGN_STATE_APPROVED),
       {Granted("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_WRONG_KIND},
       ""},
      {"EveryApplicableReasonIsListed",
       MakeCampaign(v1::CAMPAIGN_KIND_CALL, v1::CAMPAIGN_STATE_DRAFT,
                    kNow + kDay, kNow + 2 * kDay),
       {Withdrawn("c1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_WRONG_KIND, v1::REASON_CAMPAIGN_NOT_APPROVED,
        v1::REASON_CAMPAIGN_OUTSIDE_WINDOW, v1::REASON_CONSENT_WITHDRAWN},
       ""},
  };
}

class InsertPolicyTest : public ::testing::TestWithParam<InsertRow> {};

TEST_P(InsertPolicyTest, Decides) {
  const InsertRow& row = GetParam();
  Outcome o =
      DecideInsert(row.campaign ? &*row.campaign : nullptr, row.consents, kNow);
  EXPECT_EQ(o.verdict, row.verdict);
  EXPECT_EQ(o.reasons, row.reasons);
  EXPECT_EQ(o.consent_id, row.consent_id);
  EXPECT_FALSE(o.explanation.empty());
}

INSTANTIATE_TEST_SUITE_P(Rules, InsertPolicyTest,
                         ::testing::ValuesIn(InsertRows()),
                         [](const auto& row) { return row.param.name; });

struct DialRow {
  std::string name;
  std::optional<v1::Campaign> campaign;
  std::string customer;  // query customer; empty = by number
  std::vector<ConsentFact> consents;
  v1::Verdict verdict;
  std::vector<R> reasons;
  std::string consent_id;
};

const v1::Campaign kCallOk =
    MakeCampaign(v1::CAMPAIGN_KIND_CALL, v1::CAMPAIGN_STATE_APPROVED);
constexpr char kPhone[] = "P-this";
constexpr char kOther[] = "P-other";

// Calling rules that allow every hour, for the rows about consents.
CallingRules AllDay() {
  CallingRules r;
  r.start_minute = 0;
  r.end_minute = 24 * 60;
  return r;
}

std::vector<DialRow> DialRows() {
  return {
      {"ConsentForNumberAllows",
       kCallOk,
       "",
       {Granted("c1", kPhone)},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c1"},
      {"ConsentForNumberAndCustomerAllows",
       kCallOk,
       "C1",
       {Granted("c1", kPhone)},
       v1::VERDICT_ALLOW,
       {v1::REASON_CONSENT_ON_RECORD},
       "c1"},
      {"OtherCustomersConsentIsIgnored",
       kCallOk,
       "C2",
       {Granted("c1", kPhone, "C1")},
       v1::VERDICT_BLOCK,
       {v1::REASON_NO_CONSENT},
       ""},
      {"OtherNumberOnlyIsPhoneNotConsented",
       kCallOk,
       "C1",
       {Granted("c1", kOther)},
       v1::VERDICT_BLOCK,
       {v1::REASON_PHONE_NOT_CONSENTED},
       ""},
      {"OtherNumberWithdrawnIsNoConsent",
       kCallOk,
       "C1",
       {Withdrawn("c1", kOther)},
       v1::VERDICT_BLOCK,
       {v1::REASON_NO_CONSENT},
       ""},
      {"ThisNumberWithdrawnOtherInForceListsBoth",
       kCallOk,
       "C1",
       {Withdrawn("c1", kPhone), Granted("c2", kOther)},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_WITHDRAWN, v1::REASON_PHONE_NOT_CONSENTED},
       ""},
      {"NoConsentBlocks",
       kCallOk,
       "",
       {},
       v1::VERDICT_BLOCK,
       {v1::REASON_NO_CONSENT},
       ""},
      {"WithdrawnBlocks",
       kCallOk,
       "",
       {Withdrawn("c1", kPhone)},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_WITHDRAWN},
       ""},
      {"ExpiredBlocks",
       kCallOk,
       "",
       {Expired("c1", kPhone)},
       v1::VERDICT_BLOCK,
       {v1::REASON_CONSENT_EXPIRED},
       ""},
      {"UnknownCampaignBlocks",
       std::nullopt,
       "",
       {Granted("c1", kPhone)},
       v1::VERDICT_BLOCK,
       {v1::REASON_UNKNOWN_CAMPAIGN},
       ""},
      {"InsertCampaignForDialBlocks",
       kInsertOk,
       "",
       {Granted("c1", kPhone)},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_WRONG_KIND},
       ""},
      {"DraftCampaignBlocks",
       MakeCampaign(v1::CAMPAIGN_KIND_CALL, v1::CAMPAIGN_STATE_DRAFT),
       "",
       {Granted("c1", kPhone)},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_NOT_APPROVED},
       ""},
      {"AfterWindowBlocks",
       MakeCampaign(v1::CAMPAIGN_KIND_CALL, v1::CAMPAIGN_STATE_APPROVED,
                    kNow - 2 * kDay, kNow - kDay),
       "",
       {Granted("c1", kPhone)},
       v1::VERDICT_BLOCK,
       {v1::REASON_CAMPAIGN_OUTSIDE_WINDOW},
       ""},
  };
}

class DialPolicyTest : public ::testing::TestWithParam<DialRow> {};

TEST_P(DialPolicyTest, Decides) {
  const DialRow& row = GetParam();
  Outcome o = DecideDial({row.campaign ? &*row.campaign : nullptr,
                          {row.customer, kPhone},
                          row.consents,
                          {},
                          {},
                          kNow},
                         AllDay());
  EXPECT_EQ(o.verdict, row.verdict);
  EXPECT_EQ(o.reasons, row.reasons);
  EXPECT_EQ(o.consent_id, row.consent_id);
}

INSTANTIATE_TEST_SUITE_P(Rules, DialPolicyTest, ::testing::ValuesIn(DialRows()),
                         [](const auto& row) { return row.param.name; });

TEST(PolicyTest, ExpiryIsJudgedAtDecisionTime) {
  ConsentFact c = Granted("c1");
  c.expires_at = kNow + 10;
  EXPECT_EQ(DecideInsert(&kInsertOk, {&c, 1}, kNow + 9).verdict,
            v1::VERDICT_ALLOW);
  EXPECT_EQ(DecideInsert(&kInsertOk, {&c, 1}, kNow + 10).reasons,
            std::vector<R>{v1::REASON_CONSENT_EXPIRED});
}

TEST(PolicyTest, InternalErrorNeverAllows) {
  Outcome o = InternalError("store down");
  EXPECT_EQ(o.verdict, v1::VERDICT_BLOCK);
  EXPECT_EQ(o.reasons, std::vector<R>{v1::REASON_INTERNAL_ERROR});
  EXPECT_TRUE(o.consent_id.empty());
}

// ---- Calling hours and blackout dates (local time at +09:00) ----

constexpr int kJst = 9 * 3600;

// An instant on kNow's local date (2026-05-29 JST) at hh:mm.
Micros LocalAt(int hh, int mm) {
  return LocalDayStart(ToLocalTime(kNow, kJst).day, kJst) +
         (hh * 60 + mm) * kMicrosPerMinute;
}

v1::Campaign CallCampaign(std::string window_start = "",
                          std::string window_end = "",
                          std::string goods = "光回線サービス") {
  v1::Campaign c = kCallOk;
  c.set_calling_window_start(std::move(window_start));
  c.set_calling_window_end(std::move(window_end));
  c.set_goods_type(std::move(goods));
  return c;
}

struct HoursRow {
  std::string name;
  CallingRules rules;
  v1::Campaign campaign;
  Micros at;
  bool outside;
};

CallingRules Blackout(std::string date) {
  CallingRules r;
  r.blackout_days = {*ParseIsoDate(date)};
  return r;
}

CallingRules UtcHours() {
  CallingRules r;
  r.utc_offset_seconds = 0;
  return r;
}

std::vector<HoursRow> HoursRows() {
  return {
      {"NineIsInside", {}, CallCampaign(), LocalAt(9, 0), false},
      {"JustBeforeNineIsOutside", {}, CallCampaign(), LocalAt(9, 0) - 1, true},
      {"JustBeforeEightPmIsInside",
       {},
       CallCampaign(),
       LocalAt(20, 0) - 1,
       false},
      {"EightPmIsOutside", {}, CallCampaign(), LocalAt(20, 0), true},
      {"EarlyMorningIsOutside", {}, CallCampaign(), LocalAt(5, 26), true},
      {"WindowNarrowsBefore",
       {},
       CallCampaign("10:00", "12:00"),
       LocalAt(9, 30),
       true},
      {"WindowNarrowsInside",
       {},
       CallCampaign("10:00", "12:00"),
       LocalAt(11, 59),
       false},
      {"WindowEndIsExclusive",
       {},
       CallCampaign("10:00", "12:00"),
       LocalAt(12, 0),
       true},
      {"WindowCannotWidenTheHours",
       {},
       CallCampaign("19:00", "22:00"),
       LocalAt(20, 30),
       true},
      {"WindowOutsideTheHoursAllowsNothing",
       {},
       CallCampaign("06:00", "08:00"),
       LocalAt(7, 0),
       true},
      {"BlackoutDateIsOutside", Blackout("2026-05-29"), CallCampaign(),
       LocalAt(12, 0), true},
      {"OtherBlackoutDateIsInside", Blackout("2026-05-30"), CallCampaign(),
       LocalAt(12, 0), false},
      {"BlackoutFollowsTheLocalDate", Blackout("2026-05-29"), CallCampaign(),
       LocalAt(0, 30), true},
      {"AllDayEndsAtMidnight", AllDay(), CallCampaign(), LocalAt(23, 59),
       false},
      {"OffsetIsApplied", UtcHours(), CallCampaign(), kNow, true},
      {"OffsetIsAppliedInside", UtcHours(), CallCampaign(),
       kNow - 8 * 3'600'000'000LL, false},
  };
}

class CallingHoursTest : public ::testing::TestWithParam<HoursRow> {};

TEST_P(CallingHoursTest, Judges) {
  const HoursRow& row = GetParam();
  EXPECT_EQ(OutsideCallingHours(row.rules, row.campaign, row.at).has_value(),
            row.outside);
  // And the dial decision lists the reason exactly then.
  ConsentFact c = Granted("c1", kPhone);
  c.collected_at = row.at - kDay;
  v1::Campaign campaign = row.campaign;
  *campaign.mutable_starts_at() = FromMicros(row.at - kDay);
  *campaign.mutable_ends_at() = FromMicros(row.at + kDay);
  Outcome o =
      DecideDial({&campaign, {"", kPhone}, {&c, 1}, {}, {}, row.at}, row.rules);
  if (row.outside) {
    EXPECT_EQ(o.reasons, std::vector<R>{v1::REASON_OUTSIDE_CALLING_HOURS});
  } else {
    EXPECT_EQ(o.verdict, v1::VERDICT_ALLOW);
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, CallingHoursTest,
                         ::testing::ValuesIn(HoursRows()),
                         [](const auto& row) { return row.param.name; });

TEST(CallingHoursTest, ExplanationNamesTheLocalTimeAndHours) {
  auto why =
      OutsideCallingHours({}, CallCampaign("10:00", "12:00"), LocalAt(9, 30));
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why,
            "local time 09:30 is outside the calling hours of campaign and "
            "deployment 10:00-12:00");
  EXPECT_EQ(*OutsideCallingHours(Blackout("2026-05-29"), CallCampaign(),
                                 LocalAt(12, 0)),
            "2026-05-29 is a blackout date");
}

TEST(CallingHoursTest, CapWindowsStartAtLocalMidnightAndThirtyDaysBack) {
  const CapWindows w = CapWindowsAt({}, LocalAt(15, 0));
  EXPECT_EQ(w.day_start, LocalAt(0, 0));
  EXPECT_EQ(w.since_30d, LocalAt(15, 0) - 30 * kDay);
}

// ---- Do-not-solicit entries and frequency caps ----

DoNotSolicitFact Refusal(std::string customer, std::string phone,
                         std::string company = "hikari-net",
                         std::string goods = "光回線サービス",
                         bool all_goods = false) {
  return {"dns_1",          std::move(customer),
          std::move(phone), std::move(company),
          std::move(goods), all_goods};
}

struct RefusalRow {
  std::string name;
  std::string customer;  // query customer
  std::vector<ConsentFact> consents;
  std::vector<DoNotSolicitFact> entries;
  DialCounts counts;
  CallingRules rules;
  std::vector<R> reasons;  // {CONSENT_ON_RECORD} for ALLOW
};

CallingRules Capped(uint32_t per_day, uint32_t per_30d) {
  CallingRules r = AllDay();
  r.cap_per_campaign_day = per_day;
  r.cap_per_company_30d = per_30d;
  return r;
}

std::vector<RefusalRow> RefusalRows() {
  const std::vector<ConsentFact> ok = {Granted("c1", kPhone, "C1")};
  const R allow = v1::REASON_CONSENT_ON_RECORD;
  const R dns = v1::REASON_DO_NOT_SOLICIT;
  const R cap = v1::REASON_FREQUENCY_CAP;
  return {
      {"RefusalOfTheGoodsBlocks",
       "C1",
       ok,
       {Refusal("C1", kPhone)},
       {},
       AllDay(),
       {dns}},
      {"RefusalOfOtherGoodsAllows",
       "C1",
       ok,
       {Refusal("C1", kPhone, "hikari-net", "電気")},
       {},
       AllDay(),
       {allow}},
      {"DoNotCallBlocksEveryGoodsType",
       "C1",
       ok,
       {Refusal("C1", kPhone, "hikari-net", "", true)},
       {},
       AllDay(),
       {dns}},
      {"OtherSellersRefusalAllows",
       "C1",
       ok,
       {Refusal("C1", kPhone, "denki-home", "", true)},
       {},
       AllDay(),
       {allow}},
      {"RefusalOnTheNumberBlocksAnotherCustomer",
       "C1",
       ok,
       {Refusal("C9", kPhone)},
       {},
       AllDay(),
       {dns}},
      {"RefusalOfTheCustomerOnAnotherNumberBlocks",
       "C1",
       ok,
       {Refusal("C1", kOther)},
       {},
       AllDay(),
       {dns}},
      {"RefusalOfTheConsentsCustomerBlocksANumberOnlyDial",
       "",
       ok,
       {Refusal("C1", kOther)},
       {},
       AllDay(),
       {dns}},
      {"UnrelatedRefusalAllows",
       "C1",
       ok,
       {Refusal("C9", kOther)},
       {},
       AllDay(),
       {allow}},
      {"UnderTheCapsAllows", "C1", ok, {}, {0, 2}, Capped(1, 3), {allow}},
      {"DailyCampaignCapBlocks", "C1", ok, {}, {1, 1}, Capped(1, 3), {cap}},
      {"ThirtyDayCompanyCapBlocks", "C1", ok, {}, {0, 3}, Capped(1, 3), {cap}},
      {"BothCapsAreOneReason", "C1", ok, {}, {5, 5}, Capped(1, 3), {cap}},
      {"ZeroIsNoCap", "C1", ok, {}, {100, 100}, Capped(0, 0), {allow}},
      {"EveryReasonIsListed",
       "C1",
       {Withdrawn("c1", kPhone)},
       {Refusal("C1", kPhone)},
       {1, 0},
       Blackout("2026-05-29"),
       {v1::REASON_OUTSIDE_CALLING_HOURS, v1::REASON_CONSENT_WITHDRAWN, dns}},
  };
}

class RefusalAndCapTest : public ::testing::TestWithParam<RefusalRow> {};

TEST_P(RefusalAndCapTest, Decides) {
  const RefusalRow& row = GetParam();
  const v1::Campaign campaign = CallCampaign();
  Outcome o = DecideDial({&campaign,
                          {row.customer, kPhone},
                          row.consents,
                          row.entries,
                          row.counts,
                          LocalAt(12, 0)},
                         row.rules);
  EXPECT_EQ(o.reasons, row.reasons) << o.explanation;
  EXPECT_EQ(o.verdict,
            row.reasons == std::vector<R>{v1::REASON_CONSENT_ON_RECORD}
                ? v1::VERDICT_ALLOW
                : v1::VERDICT_BLOCK);
}

INSTANTIATE_TEST_SUITE_P(Rules, RefusalAndCapTest,
                         ::testing::ValuesIn(RefusalRows()),
                         [](const auto& row) { return row.param.name; });

TEST(RefusalAndCapTest, EveryCapReachedIsExplained) {
  const v1::Campaign campaign = CallCampaign();
  ConsentFact c = Granted("c1", kPhone);
  Outcome o = DecideDial(
      {&campaign, {"C1", kPhone}, {&c, 1}, {}, {1, 3}, LocalAt(12, 0)},
      Capped(1, 3));
  EXPECT_NE(o.explanation.find("(cap 1 a day)"), std::string::npos)
      << o.explanation;
  EXPECT_NE(o.explanation.find("(cap 3 in 30 days)"), std::string::npos)
      << o.explanation;
}

TEST(DialSubjectTest, ANumberOnlyDialIsAboutTheConsentsCustomer) {
  const v1::Campaign campaign = CallCampaign();
  ConsentFact c = Granted("c1", kPhone, "C7");
  Outcome allow = DecideDial(
      {&campaign, {"", kPhone}, {&c, 1}, {}, {}, LocalAt(12, 0)}, AllDay());
  EXPECT_EQ(allow.customer_id, "C7");
  c.state = v1::CONSENT_STATE_WITHDRAWN;
  Outcome block = DecideDial(
      {&campaign, {"", kPhone}, {&c, 1}, {}, {}, LocalAt(12, 0)}, AllDay());
  EXPECT_EQ(block.customer_id, "C7");
  ConsentFact d = Granted("c2", kPhone, "C8");
  const std::vector<ConsentFact> two = {c, d};
  EXPECT_EQ(DialSubjects({"", kPhone}, two),
            (std::vector<std::string>{"C7", "C8"}));
  EXPECT_EQ(DialSubjects({"C1", kPhone}, two), std::vector<std::string>{"C1"});
}

}  // namespace
}  // namespace gatekeeper::policy

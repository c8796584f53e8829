// Table-driven tests of the judging of call reports (policy/call_reports.h).
#include "daemon/policy/call_reports.h"

#include <gtest/gtest.h>

#include "tests/testing/test_config.h"

namespace gatekeeper::policy {
namespace {

constexpr Micros kNow = 1'780'000'000'000'000;
constexpr Micros kSecond = 1'000'000;

LoggedDecision AllowedDial() {
  LoggedDecision d;
  d.decision_id = "dec_1";
  d.kind = "decision.dial";
  d.verdict = v1::VERDICT_ALLOW;
  d.customer_id = "C1";
  d.company_id = "hikari-net";
  d.campaign_id = "k1";
  d.agent_id = "tanaka";
  d.goods_type = "光回線サービス";
  return d;
}

v1::ReportDisclosureRequest Report(std::vector<v1::DisclosureItem> items,
                                   Micros disclosed, Micros pitch,
                                   std::string agent = "tanaka") {
  v1::ReportDisclosureRequest r;
  r.set_decision_id("dec_1");
  r.set_agent_id(std::move(agent));
  for (auto i : items) r.add_items(i);
  *r.mutable_disclosed_at() = FromMicros(disclosed);
  *r.mutable_pitch_started_at() = FromMicros(pitch);
  return r;
}

const std::vector<v1::DisclosureItem> kAll = {
    v1::DISCLOSURE_ITEM_SELLER_NAME, v1::DISCLOSURE_ITEM_AGENT_NAME,
    v1::DISCLOSURE_ITEM_GOODS_TYPE, v1::DISCLOSURE_ITEM_SOLICITATION_PURPOSE};

struct DisclosureRow {
  std::string name;
  v1::ReportDisclosureRequest report;
  std::vector<std::string> violations;
};

std::vector<DisclosureRow> DisclosureRows() {
  const Micros t = kNow - 60 * kSecond;
  return {
      {"AllFourBeforeThePitchIsCompliant", Report(kAll, t, t + kSecond), {}},
      {"DisclosedAtThePitchIsCompliant", Report(kAll, t, t), {}},
      {"MissingItemsAreNamed",
       Report({v1::DISCLOSURE_ITEM_SELLER_NAME}, t, t + kSecond),
       {"AGENT_NAME was not disclosed", "GOODS_TYPE was not disclosed",
        "SOLICITATION_PURPOSE was not disclosed"}},
      {"AfterThePitchIsAViolation",
       Report(kAll, t, t - kSecond),
       {"disclosed after the pitch started"}},
      {"AnotherAgentIsAViolation",
       Report(kAll, t, t + kSecond, "suzuki"),
       {"the call was made by agent suzuki, but the dial was allowed for "
        "agent tanaka"}},
      {"EveryViolationIsListed",
       Report({}, t, t - kSecond, "suzuki"),
       {"SELLER_NAME was not disclosed", "AGENT_NAME was not disclosed",
        "GOODS_TYPE was not disclosed",
        "SOLICITATION_PURPOSE was not disclosed",
        "disclosed after the pitch started",
        "the call was made by agent suzuki, but the dial was allowed for "
        "agent tanaka"}},
  };
}

class DisclosureTest : public ::testing::TestWithParam<DisclosureRow> {};

TEST_P(DisclosureTest, Judges) {
  const DisclosureRow& row = GetParam();
  v1::DisclosureReport r =
      JudgeDisclosure(row.report, AllowedDial(), kAll, kNow);
  EXPECT_EQ(r.compliant(), row.violations.empty());
  EXPECT_EQ(
      std::vector<std::string>(r.violations().begin(), r.violations().end()),
      row.violations);
  EXPECT_EQ(r.customer_id(), "C1");
  EXPECT_EQ(ToMicros(r.reported_at()), kNow);
}

INSTANTIATE_TEST_SUITE_P(Rules, DisclosureTest,
                         ::testing::ValuesIn(DisclosureRows()),
                         [](const auto& row) { return row.param.name; });

TEST(DisclosureTest, ProfileDecidesWhatIsRequired) {
  auto parsed = ParseConfigYaml(
      std::string(testing::kTestConfigYaml) +
          "data_dir: \"/x\"\ndisclosure_profiles:\n  TELECOM_BUSINESS_ACT: "
          "[SELLER_NAME, GOODS_TYPE]\n",
      "t.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(ValidateConfig(*parsed).ok());
  EXPECT_EQ(RequiredDisclosures(*parsed, v1::REGIME_TOKUSHOHO), kAll);
  const std::vector<v1::DisclosureItem> telecom = {
      v1::DISCLOSURE_ITEM_SELLER_NAME, v1::DISCLOSURE_ITEM_GOODS_TYPE};
  EXPECT_EQ(RequiredDisclosures(*parsed, v1::REGIME_TELECOM_BUSINESS_ACT),
            telecom);
  v1::DisclosureReport r = JudgeDisclosure(Report(telecom, kNow, kNow),
                                           AllowedDial(), telecom, kNow);
  EXPECT_TRUE(r.compliant());
}

TEST(ReportableTest, OnlyAllowedDialsCanBeReportedOn) {
  EXPECT_TRUE(CheckReportable(AllowedDial()).ok());
  LoggedDecision blocked = AllowedDial();
  blocked.verdict = v1::VERDICT_BLOCK;
  EXPECT_EQ(CheckReportable(blocked).code(),
            absl::StatusCode::kFailedPrecondition);
  LoggedDecision insert = AllowedDial();
  insert.kind = "decision.insert";
  EXPECT_EQ(CheckReportable(insert).code(),
            absl::StatusCode::kFailedPrecondition);
}

struct EffectRow {
  v1::CallOutcome outcome;
  bool dns, all_goods, withdraw_company, withdraw_number;
};

TEST(OutcomeEffectsTest, EachOutcomeDoesWhatTheLawAsks) {
  const std::vector<EffectRow> rows = {
      {v1::CALL_OUTCOME_NO_ANSWER, false, false, false, false},
      {v1::CALL_OUTCOME_BUSY, false, false, false, false},
      {v1::CALL_OUTCOME_REFUSED, true, false, false, false},
      {v1::CALL_OUTCOME_DO_NOT_CALL_REQUESTED, true, true, true, false},
      {v1::CALL_OUTCOME_CALLBACK_REQUESTED, false, false, false, false},
      {v1::CALL_OUTCOME_APPLIED, false, false, false, false},
      {v1::CALL_OUTCOME_CONTRACTED, false, false, false, false},
      {v1::CALL_OUTCOME_WRONG_PARTY, false, false, false, true},
  };
  for (const EffectRow& row : rows) {
    SCOPED_TRACE(v1::CallOutcome_Name(row.outcome));
    const OutcomeEffects e = EffectsOf(row.outcome);
    EXPECT_EQ(e.do_not_solicit, row.dns);
    EXPECT_EQ(e.all_goods_types, row.all_goods);
    EXPECT_EQ(e.withdraw_company_consents, row.withdraw_company);
    EXPECT_EQ(e.withdraw_number_consents, row.withdraw_number);
  }
}

}  // namespace
}  // namespace gatekeeper::policy

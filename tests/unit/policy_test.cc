// Table-driven tests of the pure decision rules: one row per rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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
  Outcome o = DecideDial(row.campaign ? &*row.campaign : nullptr,
                         {row.customer, kPhone}, row.consents, kNow);
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

}  // namespace
}  // namespace gatekeeper::policy

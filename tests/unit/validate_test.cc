// Request validation: each rejected input names its field.
#include "daemon/policy/validate.h"

#include <gtest/gtest.h>

#include "daemon/policy/campaign.h"
#include "tests/testing/test_config.h"

namespace gatekeeper::policy {
namespace {

constexpr Micros kNow = 1'780'000'000'000'000;

class ValidateTest : public ::testing::Test {
 protected:
  ValidateTest() : config_(testing::TestConfig()) {}

  v1::RecordConsentRequest AdConsent() {
    v1::RecordConsentRequest r;
    r.set_request_id("r1");
    r.set_customer_id("C1");
    r.set_purpose(v1::PURPOSE_AD_INSERT);
    r.set_company_id("hikari-net");
    r.set_notice_id("ad-2026-04");
    r.set_channel(v1::CONSENT_CHANNEL_WEB_FORM);
    r.set_evidence_ref("form-1");
    r.set_collected_by("web");
    *r.mutable_collected_at() = FromMicros(kNow - 1000);
    return r;
  }

  v1::RecordConsentRequest TmConsent() {
    v1::RecordConsentRequest r = AdConsent();
    r.set_purpose(v1::PURPOSE_TELEMARKETING);
    r.set_notice_id("tm-2026-04");
    r.set_phone_number("090-1234-5678");
    return r;
  }

  // The status message must start with the field name.
  void ExpectInvalid(const v1::RecordConsentRequest& r,
                     const std::string& field) {
    auto s = ValidateRecordConsent(r, config_, kNow);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.status().message()).rfind(field + ":", 0), 0u)
        << s.status().message();
  }

  ConfigIndex config_;
};

TEST_F(ValidateTest, AcceptsCompleteAdConsent) {
  auto s = ValidateRecordConsent(AdConsent(), config_, kNow);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->has_value());
}

TEST_F(ValidateTest, ParsesTelemarketingPhone) {
  auto s = ValidateRecordConsent(TmConsent(), config_, kNow);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->e164, "+819012345678");
  EXPECT_EQ((*s)->masked, "+81 90-****-5678");
}

TEST_F(ValidateTest, RejectsUnknownCompany) {
  auto r = AdConsent();
  r.set_company_id("nope");
  ExpectInvalid(r, "company_id");
}

TEST_F(ValidateTest, RejectsUnconfiguredNotice) {
  auto r = AdConsent();
  r.set_notice_id("nope");
  ExpectInvalid(r, "notice_id");
}

TEST_F(ValidateTest, RejectsNoticeOfOtherPurpose) {
  auto r = AdConsent();
  r.set_notice_id("tm-2026-04");
  ExpectInvalid(r, "notice_id");
}

TEST_F(ValidateTest, RejectsNoticeNotNamingCompany) {
  auto r = TmConsent();
  r.set_company_id("denki-home");
  ExpectInvalid(r, "notice_id");
}

TEST_F(ValidateTest, RejectsTelemarketingWithoutPhone) {
  auto r = TmConsent();
  r.clear_phone_number();
  ExpectInvalid(r, "phone_number");
}

TEST_F(ValidateTest, RejectsInvalidPhone) {
  auto r = TmConsent();
  r.set_phone_number("12345");
  ExpectInvalid(r, "phone_number");
}

TEST_F(ValidateTest, InvalidPhoneMessageDoesNotEchoTheNumber) {
  auto r = TmConsent();
  r.set_phone_number("090-1234-567");
  auto s = ValidateRecordConsent(r, config_, kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()).find("1234"), std::string::npos);
}

TEST_F(ValidateTest, RejectsPhoneOnAdConsent) {
  auto r = AdConsent();
  r.set_phone_number("090-1234-5678");
  ExpectInvalid(r, "phone_number");
}

TEST_F(ValidateTest, RejectsMissingRequiredFields) {
  auto r = AdConsent();
  r.clear_evidence_ref();
  ExpectInvalid(r, "evidence_ref");
  r = AdConsent();
  r.clear_customer_id();
  ExpectInvalid(r, "customer_id");
  r = AdConsent();
  r.clear_channel();
  ExpectInvalid(r, "channel");
  r = AdConsent();
  r.clear_collected_by();
  ExpectInvalid(r, "collected_by");
  r = AdConsent();
  r.clear_purpose();
  ExpectInvalid(r, "purpose");
}

TEST_F(ValidateTest, RejectsCollectedAtInFuture) {
  auto r = AdConsent();
  *r.mutable_collected_at() = FromMicros(kNow + kMaxClockSkew + 1);
  ExpectInvalid(r, "collected_at");
}

TEST_F(ValidateTest, ToleratesSmallClockSkew) {
  auto r = AdConsent();
  *r.mutable_collected_at() = FromMicros(kNow + kMaxClockSkew);
  EXPECT_TRUE(ValidateRecordConsent(r, config_, kNow).ok());
}

TEST_F(ValidateTest, RejectsExpiryBeforeCollection) {
  auto r = AdConsent();
  *r.mutable_expires_at() = r.collected_at();
  ExpectInvalid(r, "expires_at");
}

TEST_F(ValidateTest, RejectsControlCharacters) {
  auto r = AdConsent();
  r.set_customer_id("C1\n");
  ExpectInvalid(r, "customer_id");
}

TEST_F(ValidateTest, WithdrawNeedsCustomerAndChannel) {
  v1::WithdrawConsentRequest w;
  w.set_channel(v1::CONSENT_CHANNEL_COUNTER);
  EXPECT_EQ(ValidateWithdrawConsent(w, config_).message(),
            "customer_id: is required");
  w.set_customer_id("C1");
  w.clear_channel();
  EXPECT_EQ(ValidateWithdrawConsent(w, config_).message(),
            "channel: is required");
  w.set_channel(v1::CONSENT_CHANNEL_COUNTER);
  EXPECT_TRUE(ValidateWithdrawConsent(w, config_).ok());
  w.set_company_id("nope");
  EXPECT_EQ(ValidateWithdrawConsent(w, config_).code(),
            absl::StatusCode::kInvalidArgument);
}

v1::CreateCampaignRequest Campaign() {
  v1::CreateCampaignRequest r;
  r.set_actor("alice");
  v1::Campaign* c = r.mutable_campaign();
  c->set_campaign_id("hikari-call-1");
  c->set_kind(v1::CAMPAIGN_KIND_CALL);
  c->set_company_id("hikari-net");
  c->set_goods_type("光回線サービス");
  *c->mutable_starts_at() = FromMicros(kNow);
  *c->mutable_ends_at() = FromMicros(kNow + 1);
  return r;
}

TEST_F(ValidateTest, CampaignRules) {
  EXPECT_TRUE(ValidateCreateCampaign(Campaign(), config_).ok());
  auto r = Campaign();
  r.mutable_campaign()->set_company_id("nope");
  EXPECT_EQ(std::string(ValidateCreateCampaign(r, config_).message())
                .rfind("campaign.company_id:", 0),
            0u);
  r = Campaign();
  *r.mutable_campaign()->mutable_ends_at() = r.campaign().starts_at();
  EXPECT_EQ(std::string(ValidateCreateCampaign(r, config_).message())
                .rfind("campaign.ends_at:", 0),
            0u);
  r = Campaign();
  r.mutable_campaign()->set_campaign_id("bad id");
  EXPECT_EQ(std::string(ValidateCreateCampaign(r, config_).message())
                .rfind("campaign.campaign_id:", 0),
            0u);
  r = Campaign();
  r.mutable_campaign()->clear_kind();
  EXPECT_EQ(std::string(ValidateCreateCampaign(r, config_).message())
                .rfind("campaign.kind:", 0),
            0u);
  r = Campaign();
  r.mutable_campaign()->clear_goods_type();
  EXPECT_EQ(std::string(ValidateCreateCampaign(r, config_).message())
                .rfind("campaign.goods_type:", 0),
            0u);
}

TEST(CampaignRulesTest, CreatorCannotApprove) {
  v1::Campaign draft = NewDraft(Campaign(), kNow);
  EXPECT_EQ(draft.state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(draft.created_by(), "alice");
  auto self = Approve(draft, "alice", kNow);
  EXPECT_EQ(self.status().code(), absl::StatusCode::kFailedPrecondition);
  auto ok = Approve(draft, "bob", kNow);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->state(), v1::CAMPAIGN_STATE_APPROVED);
  EXPECT_EQ(ok->approved_by(), "bob");
  EXPECT_EQ(Approve(*ok, "carol", kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto retired = Retire(*ok);
  ASSERT_TRUE(retired.ok());
  EXPECT_EQ(Retire(*retired).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CheckValidationTest, DialNeedsParsablePhoneAndCampaign) {
  v1::CheckDialRequest d;
  d.set_campaign_id("k");
  d.set_agent_id("agent-7");
  EXPECT_EQ(ValidateCheckDial(d).status().message(),
            "phone_number: is required");
  d.set_phone_number("not a number");
  EXPECT_EQ(std::string(ValidateCheckDial(d).status().message())
                .rfind("phone_number:", 0),
            0u);
  d.set_phone_number("03-1234-5678");
  EXPECT_TRUE(ValidateCheckDial(d).ok());
  d.clear_campaign_id();
  EXPECT_EQ(ValidateCheckDial(d).status().message(),
            "campaign_id: is required");
  v1::CheckInsertRequest i;
  i.set_campaign_id("k");
  EXPECT_EQ(ValidateCheckInsert(i).message(), "customer_id: is required");
}

TEST(CheckValidationTest, DialNeedsTheAgent) {
  v1::CheckDialRequest d;
  d.set_campaign_id("k");
  d.set_phone_number("03-1234-5678");
  EXPECT_EQ(ValidateCheckDial(d).status().message(), "agent_id: is required");
  d.set_agent_id(std::string(129, 'a'));
  EXPECT_EQ(ValidateCheckDial(d).status().code(),
            absl::StatusCode::kInvalidArgument);
  d.set_agent_id("tanaka");
  EXPECT_TRUE(ValidateCheckDial(d).ok());
}

}  // namespace
}  // namespace gatekeeper::policy

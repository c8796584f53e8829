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
  c->set_regime(v1::REGIME_TOKUSHOHO);
  *c->mutable_starts_at() = FromMicros(kNow);
  *c->mutable_ends_at() = FromMicros(kNow + 1);
  return r;
}

// The message of the error, which must start with `field`.
std::string FieldOf(const absl::Status& s) {
  const std::string m(s.message());
  return m.substr(0, m.find(':'));
}

TEST_F(ValidateTest, CallingWindowIsBothOrNeitherAndInOrder) {
  auto r = Campaign();
  r.mutable_campaign()->set_calling_window_start("10:00");
  r.mutable_campaign()->set_calling_window_end("18:30");
  EXPECT_TRUE(ValidateCreateCampaign(r, config_).ok());
  r.mutable_campaign()->set_calling_window_end("24:00");
  EXPECT_TRUE(ValidateCreateCampaign(r, config_).ok());
  r.mutable_campaign()->clear_calling_window_end();
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.calling_window_end");
  r.mutable_campaign()->set_calling_window_end("09:00");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.calling_window_end");
  r.mutable_campaign()->set_calling_window_start("9:00");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.calling_window_start");
  r.mutable_campaign()->set_calling_window_start("25:00");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.calling_window_start");
}

TEST_F(ValidateTest, RegimeAndWindowAreForCallCampaignsOnly) {
  auto r = Campaign();
  r.mutable_campaign()->set_kind(v1::CAMPAIGN_KIND_INSERT);
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)), "campaign.regime");
  r.mutable_campaign()->clear_regime();
  EXPECT_TRUE(ValidateCreateCampaign(r, config_).ok());
  r.mutable_campaign()->set_calling_window_start("10:00");
  r.mutable_campaign()->set_calling_window_end("11:00");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.calling_window_start");
  r = Campaign();
  r.mutable_campaign()->set_regime(static_cast<v1::Regime>(9));
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)), "campaign.regime");
}

TEST(CampaignRulesTest, CallCampaignWithoutRegimeCannotBeApproved) {
  v1::CreateCampaignRequest req = Campaign();
  req.mutable_campaign()->clear_regime();
  auto approved = Approve(NewDraft(req, kNow), "bob", "", kNow, {});
  EXPECT_EQ(approved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(approved.status()), "regime");
}

v1::ReportDisclosureRequest Disclosure() {
  v1::ReportDisclosureRequest r;
  r.set_decision_id("dec_0193a1b2c3d4e5f60718293a4b5c6d7e");
  r.set_agent_id("tanaka");
  r.add_items(v1::DISCLOSURE_ITEM_SELLER_NAME);
  *r.mutable_disclosed_at() = FromMicros(kNow - 60'000'000);
  *r.mutable_pitch_started_at() = FromMicros(kNow - 30'000'000);
  return r;
}

TEST(ReportValidationTest, DisclosureFieldsAreNamed) {
  EXPECT_TRUE(ValidateReportDisclosure(Disclosure(), kNow).ok());
  auto r = Disclosure();
  r.set_decision_id("dec_xyz");
  EXPECT_EQ(FieldOf(ValidateReportDisclosure(r, kNow)), "decision_id");
  r = Disclosure();
  r.clear_agent_id();
  EXPECT_EQ(ValidateReportDisclosure(r, kNow).message(),
            "agent_id: is required");
  r = Disclosure();
  r.add_items(v1::DISCLOSURE_ITEM_UNSPECIFIED);
  EXPECT_EQ(FieldOf(ValidateReportDisclosure(r, kNow)), "items[1]");
  r = Disclosure();
  r.add_items(v1::DISCLOSURE_ITEM_SELLER_NAME);
  EXPECT_EQ(ValidateReportDisclosure(r, kNow).message(),
            "items[1]: duplicate item");
  r = Disclosure();
  r.clear_disclosed_at();
  EXPECT_EQ(ValidateReportDisclosure(r, kNow).message(),
            "disclosed_at: is required");
  r = Disclosure();
  r.clear_pitch_started_at();
  EXPECT_EQ(ValidateReportDisclosure(r, kNow).message(),
            "pitch_started_at: is required");
  r = Disclosure();
  *r.mutable_disclosed_at() = FromMicros(kNow + 60'000'000);
  EXPECT_EQ(ValidateReportDisclosure(r, kNow).message(),
            "disclosed_at: is in the future");
}

TEST(ReportValidationTest, OutcomeFieldsAreNamed) {
  v1::ReportOutcomeRequest r;
  r.set_decision_id("dec_0193a1b2c3d4e5f60718293a4b5c6d7e");
  r.set_agent_id("tanaka");
  r.set_outcome(v1::CALL_OUTCOME_REFUSED);
  EXPECT_TRUE(ValidateReportOutcome(r).ok());
  r.set_outcome(v1::CALL_OUTCOME_UNSPECIFIED);
  EXPECT_EQ(ValidateReportOutcome(r).message(), "outcome: is required");
  r.set_outcome(static_cast<v1::CallOutcome>(99));
  EXPECT_EQ(ValidateReportOutcome(r).message(), "outcome: unknown value");
  r.set_outcome(v1::CALL_OUTCOME_REFUSED);
  r.set_note(std::string(1025, 'x'));
  EXPECT_EQ(FieldOf(ValidateReportOutcome(r)), "note");
  r.clear_note();
  r.clear_decision_id();
  EXPECT_EQ(ValidateReportOutcome(r).message(), "decision_id: is required");
}

TEST(ReportValidationTest, DoNotSolicitRequests) {
  v1::ListDoNotSolicitRequest l;
  EXPECT_EQ(FieldOf(ValidateListDoNotSolicit(l).status()), "customer_id");
  l.set_phone_number("not a number");
  EXPECT_EQ(FieldOf(ValidateListDoNotSolicit(l).status()), "phone_number");
  l.set_phone_number("090-1234-5678");
  auto phone = ValidateListDoNotSolicit(l);
  ASSERT_TRUE(phone.ok());
  EXPECT_EQ((*phone)->e164, "+819012345678");
  v1::ClearDoNotSolicitRequest c;
  c.set_entry_id("dns_1");
  c.set_requested_by("op-1");
  EXPECT_EQ(ValidateClearDoNotSolicit(c).message(),
            "evidence_ref: is required");
  c.set_evidence_ref("rec-1");
  EXPECT_TRUE(ValidateClearDoNotSolicit(c).ok());
  v1::SubjectReportRequest s;
  s.set_customer_id("C1");
  EXPECT_EQ(ValidateSubjectReport(s).message(), "requested_by: is required");
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

TEST(CampaignRulesTest, TheCreatingPrincipalCannotApproveUnderAnotherName) {
  v1::Campaign draft = NewDraft(Campaign(), kNow);
  draft.set_created_by_principal("ops-admin");
  // An admin acts for anyone: it created as alice and approves as bob.
  auto self = Approve(draft, "bob", "ops-admin", kNow, {});
  EXPECT_EQ(self.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      self.status().message(),
      "approver: principal ops-admin created campaign hikari-call-1; a second "
      "principal must approve it");
  EXPECT_TRUE(Approve(draft, "bob", "compliance-1", kNow, {}).ok());
  // Without authentication there are no principals to compare.
  EXPECT_TRUE(Approve(NewDraft(Campaign(), kNow), "bob", "", kNow, {}).ok());
}

TEST(CampaignRulesTest, CreatorCannotApprove) {
  v1::Campaign draft = NewDraft(Campaign(), kNow);
  EXPECT_EQ(draft.state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(draft.created_by(), "alice");
  auto self = Approve(draft, "alice", "", kNow, {});
  EXPECT_EQ(self.status().code(), absl::StatusCode::kFailedPrecondition);
  auto ok = Approve(draft, "bob", "", kNow, {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->state(), v1::CAMPAIGN_STATE_APPROVED);
  EXPECT_EQ(ok->approved_by(), "bob");
  EXPECT_EQ(Approve(*ok, "carol", "", kNow, {}).status().code(),
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

v1::CreateCampaignRequest Leaflet() {
  v1::CreateCampaignRequest r = Campaign();
  v1::Campaign* c = r.mutable_campaign();
  c->set_kind(v1::CAMPAIGN_KIND_INSERT);
  c->clear_regime();
  c->set_leaflet_sha256(std::string(64, 'A'));
  c->set_legal_review_id("LR-1");
  for (const std::string& item : DefaultAdDisplayItems()) {
    (*c->mutable_disclosures())[item] = "x";
  }
  return r;
}

TEST_F(ValidateTest, LeafletFieldsAreCheckedAtCreation) {
  EXPECT_TRUE(ValidateCreateCampaign(Leaflet(), config_).ok());
  auto r = Leaflet();
  r.mutable_campaign()->set_leaflet_sha256("abc");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.leaflet_sha256");
  r = Leaflet();
  r.mutable_campaign()->set_leaflet_sha256(std::string(63, 'a') + "g");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.leaflet_sha256");
  r = Campaign();  // a CALL campaign
  r.mutable_campaign()->set_legal_review_id("LR-1");
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.legal_review_id");
  r = Leaflet();
  (*r.mutable_campaign()->mutable_disclosures())["BAD KEY"] = "x";
  EXPECT_EQ(FieldOf(ValidateCreateCampaign(r, config_)),
            "campaign.disclosures");
  // The hash is kept in lower case.
  EXPECT_EQ(NewDraft(Leaflet(), kNow).leaflet_sha256(), std::string(64, 'a'));
}

TEST(CampaignRulesTest, InsertCampaignNeedsALawfulLeafletToBeApproved) {
  const std::vector<std::string> items = DefaultAdDisplayItems();
  EXPECT_TRUE(Approve(NewDraft(Leaflet(), kNow), "bob", "", kNow, items).ok());
  v1::CreateCampaignRequest bare = Leaflet();
  bare.mutable_campaign()->clear_leaflet_sha256();
  bare.mutable_campaign()->clear_legal_review_id();
  bare.mutable_campaign()->mutable_disclosures()->erase("PRICE");
  (*bare.mutable_campaign()->mutable_disclosures())["APPLICATION_PERIOD"] = "";
  auto refused = Approve(NewDraft(bare, kNow), "bob", "", kNow, items);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "INSERT campaign hikari-call-1 cannot be approved (特定商取引法 "
            "Art. 11); missing: leaflet_sha256, legal_review_id, "
            "disclosures[PRICE], disclosures[APPLICATION_PERIOD]");
  // The configured profile decides which items.
  EXPECT_TRUE(Approve(NewDraft(Leaflet(), kNow), "bob", "", kNow, {"OTHER"})
                  .status()
                  .message()
                  .find("disclosures[OTHER]") != absl::string_view::npos);
}

}  // namespace
}  // namespace gatekeeper::policy

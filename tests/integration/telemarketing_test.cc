// End-to-end tests of the telemarketing rules through the real gatekeeperd:
// a whole call (check, disclosures, outcome, do-not-solicit, subject
// report), calling hours and blackout dates, frequency caps at their
// boundary and under concurrent dials, and the report error paths.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/common/local_time.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper {
namespace {

using testing::Ctx;
using testing::DaemonOptions;
using testing::kPhone;
using testing::kPhoneE164;
using testing::Now;
using testing::ReasonList;

constexpr char kFibre[] = "光回線サービス";
constexpr char kPower[] = "でんきセット割";
constexpr int kJst = 9 * 3600;

class TelemarketingTest : public testing::DaemonTest {
 protected:
  // A CALL campaign of hikari-net for `goods`, created by alice and approved
  // by bob.
  void CallCampaign(std::string id, std::string goods = kFibre,
                    std::string window_start = "",
                    std::string window_end = "") {
    v1::CreateCampaignRequest req;
    req.set_actor("alice");
    v1::Campaign* c = req.mutable_campaign();
    c->set_campaign_id(id);
    c->set_kind(v1::CAMPAIGN_KIND_CALL);
    c->set_company_id("hikari-net");
    c->set_goods_type(std::move(goods));
    c->set_regime(v1::REGIME_TOKUSHOHO);
    c->set_calling_window_start(std::move(window_start));
    c->set_calling_window_end(std::move(window_end));
    *c->mutable_starts_at() = FromMicros(Now() - testing::kDay);
    *c->mutable_ends_at() = FromMicros(Now() + 30 * testing::kDay);
    v1::Campaign out;
    grpc::Status s = campaigns_->CreateCampaign(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(Approve(id).ok());
  }

  static v1::ReportDisclosureRequest Disclosure(const std::string& decision_id,
                                                bool all_items = true,
                                                Micros pitch_after = 1'000'000,
                                                std::string agent = "agent-7") {
    v1::ReportDisclosureRequest r;
    r.set_decision_id(decision_id);
    r.set_agent_id(std::move(agent));
    r.add_items(v1::DISCLOSURE_ITEM_SELLER_NAME);
    if (all_items) {
      r.add_items(v1::DISCLOSURE_ITEM_AGENT_NAME);
      r.add_items(v1::DISCLOSURE_ITEM_GOODS_TYPE);
      r.add_items(v1::DISCLOSURE_ITEM_SOLICITATION_PURPOSE);
    }
    const Micros at = Now() - 60'000'000;
    *r.mutable_disclosed_at() = FromMicros(at);
    *r.mutable_pitch_started_at() = FromMicros(at + pitch_after);
    r.set_recording_ref("rec-call-0001");
    return r;
  }

  grpc::Status Disclose(const v1::ReportDisclosureRequest& r,
                        v1::ReportDisclosureResponse* out) {
    return dial_->ReportDisclosure(Ctx().get(), r, out);
  }

  grpc::Status Outcome(const std::string& decision_id, v1::CallOutcome o,
                       v1::ReportOutcomeResponse* out, std::string note = "") {
    v1::ReportOutcomeRequest r;
    r.set_decision_id(decision_id);
    r.set_agent_id("agent-7");
    r.set_outcome(o);
    r.set_note(std::move(note));
    return dial_->ReportOutcome(Ctx().get(), r, out);
  }

  v1::SubjectReportResponse Subject(std::string customer) {
    v1::SubjectReportRequest r;
    r.set_customer_id(std::move(customer));
    r.set_requested_by("compliance-1");
    v1::SubjectReportResponse out;
    grpc::Status s = audit_->SubjectReport(Ctx().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::vector<v1::DoNotSolicitEntry> ListDnc(std::string phone,
                                             bool include_cleared) {
    v1::ListDoNotSolicitRequest r;
    r.set_phone_number(std::move(phone));
    r.set_include_cleared(include_cleared);
    v1::ListDoNotSolicitResponse out;
    grpc::Status s = consents_->ListDoNotSolicit(Ctx().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {out.entries().begin(), out.entries().end()};
  }

  // Restarts the daemon with `yaml` appended to its config.
  void RestartWith(std::string yaml) {
    DropClients();
    ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
    DaemonOptions o;
    o.extra_yaml = std::move(yaml);
    StartDaemon(o);
  }
};

TEST_F(TelemarketingTest, AWholeCallFromConsentToSubjectReport) {
  CallCampaign("fibre-2026-12", kFibre);
  CallCampaign("power-2026-12", kPower);
  v1::ConsentRecord consent;
  ASSERT_TRUE(Record(TmConsent(), &consent).ok());

  // 1. The dial is allowed, with the script the agent must say first.
  auto first = CheckDial(kPhone, "fibre-2026-12", "C-1001");
  ASSERT_EQ(first.decision().verdict(), v1::VERDICT_ALLOW);
  const v1::Disclosure& script = first.disclosure();
  EXPECT_EQ(script.seller_name(), "ひかりネット株式会社");
  EXPECT_EQ(script.seller_address(), "東京都千代田区丸の内1-1-1");
  EXPECT_EQ(script.seller_phone(), "0120-000-111");
  EXPECT_EQ(script.goods_type(), kFibre);
  // The default statement names the campaign's goods type.
  EXPECT_EQ(script.solicitation_statement(),
            "本日は、光回線サービスのご契約のご案内(勧誘)のためにお電話いたしま"
            "した。");
  EXPECT_EQ(script.agent_id(), "agent-7");
  // The log holds exactly the disclosure returned, and the provision.
  v1::DecisionPayload logged;
  for (const auto& e : QueryAudit("C-1001")) {
    if (e.seq() == first.decision().audit_seq()) {
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(e.payload_json(), &logged)
              .ok());
    }
  }
  EXPECT_EQ(logged.disclosure().SerializeAsString(),
            script.SerializeAsString());
  EXPECT_EQ(logged.provision().recipient_representative(),
            "代表取締役 山田太郎");

  // 2. The agent made every disclosure before the pitch.
  v1::ReportDisclosureResponse disclosed;
  ASSERT_TRUE(
      Disclose(Disclosure(first.decision().decision_id()), &disclosed).ok());
  EXPECT_TRUE(disclosed.compliant());
  EXPECT_TRUE(disclosed.violations().empty());
  EXPECT_GT(disclosed.audit_seq(), first.decision().audit_seq());

  // 3. The customer refuses: no more calls about fibre, power still allowed.
  v1::ReportOutcomeResponse refused;
  ASSERT_TRUE(Outcome(first.decision().decision_id(), v1::CALL_OUTCOME_REFUSED,
                      &refused, "光回線は不要とのこと")
                  .ok());
  ASSERT_EQ(refused.do_not_solicit_size(), 1);
  EXPECT_EQ(refused.do_not_solicit(0).goods_type(), kFibre);
  EXPECT_FALSE(refused.do_not_solicit(0).all_goods_types());
  EXPECT_EQ(refused.do_not_solicit(0).phone_masked(), "+81 90-****-5678");
  EXPECT_TRUE(refused.withdrawn_consent_ids().empty());
  auto again = CheckDial(kPhoneE164, "fibre-2026-12");
  EXPECT_EQ(ReasonsOf(again.decision()), ReasonList{v1::REASON_DO_NOT_SOLICIT});
  EXPECT_FALSE(again.has_disclosure());
  auto power = CheckDial(kPhone, "power-2026-12", "C-1001");
  ASSERT_EQ(power.decision().verdict(), v1::VERDICT_ALLOW);

  // 4. "Never call me again": every goods type, and the consent withdrawn.
  v1::ReportOutcomeResponse stop;
  ASSERT_TRUE(Outcome(power.decision().decision_id(),
                      v1::CALL_OUTCOME_DO_NOT_CALL_REQUESTED, &stop)
                  .ok());
  ASSERT_EQ(stop.do_not_solicit_size(), 1);
  EXPECT_TRUE(stop.do_not_solicit(0).all_goods_types());
  EXPECT_EQ(std::vector<std::string>(stop.withdrawn_consent_ids().begin(),
                                     stop.withdrawn_consent_ids().end()),
            std::vector<std::string>{consent.consent_id()});
  for (const char* campaign : {"fibre-2026-12", "power-2026-12"}) {
    auto blocked = CheckDial(kPhone, campaign, "C-1001");
    EXPECT_EQ(
        ReasonsOf(blocked.decision()),
        (ReasonList{v1::REASON_CONSENT_WITHDRAWN, v1::REASON_DO_NOT_SOLICIT}))
        << campaign;
  }

  // 5. The subject report shows every step.
  v1::SubjectReportResponse report = Subject("C-1001");
  ASSERT_EQ(report.consents_size(), 1);
  ASSERT_EQ(report.consents(0).history_size(), 2);
  EXPECT_EQ(report.consents(0).history(1).state(), v1::CONSENT_STATE_WITHDRAWN);
  EXPECT_EQ(report.consents(0).history(1).evidence_ref(),
            "call:" + power.decision().decision_id());
  ASSERT_EQ(report.provisions_size(), 2);  // the two ALLOWed dials
  EXPECT_EQ(report.provisions(0).decision_id(), first.decision().decision_id());
  EXPECT_EQ(report.provisions(0).recipient_name(), "ひかりネット株式会社");
  EXPECT_EQ(report.provisions(0).recipient_representative(),
            "代表取締役 山田太郎");
  EXPECT_EQ(report.provisions(0).consent_id(), consent.consent_id());
  EXPECT_EQ(report.provisions(0).data_items(0), "phone_number");
  EXPECT_EQ(ToMicros(report.provisions(0).retain_until()) -
                ToMicros(report.provisions(0).provided_at()),
            3 * 365 * testing::kDay);
  EXPECT_EQ(report.decisions_size(), 5);
  ASSERT_EQ(report.disclosure_reports_size(), 1);
  EXPECT_TRUE(report.disclosure_reports(0).compliant());
  EXPECT_EQ(report.disclosure_reports(0).recording_ref(), "rec-call-0001");
  ASSERT_EQ(report.outcomes_size(), 2);
  EXPECT_EQ(report.outcomes(0).outcome(), v1::CALL_OUTCOME_REFUSED);
  EXPECT_EQ(report.outcomes(1).outcome(),
            v1::CALL_OUTCOME_DO_NOT_CALL_REQUESTED);
  EXPECT_EQ(report.do_not_solicit_size(), 2);
  EXPECT_GT(report.audit_seq(), 0u);
  // The report itself is in the log, with who asked.
  bool logged_report = false;
  for (const auto& e : QueryAudit("C-1001")) {
    logged_report |= e.kind() == "subject.report" &&
                     e.actor() == "compliance-1" &&
                     e.seq() == report.audit_seq();
  }
  EXPECT_TRUE(logged_report);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(TelemarketingTest, ClearingADoNotSolicitEntryNeedsEvidenceAndKeepsIt) {
  CallCampaign("fibre-2026-12");
  ASSERT_TRUE(Record(TmConsent()).ok());
  auto dial = CheckDial(kPhone, "fibre-2026-12");
  v1::ReportOutcomeResponse refused;
  ASSERT_TRUE(
      Outcome(dial.decision().decision_id(), v1::CALL_OUTCOME_REFUSED, &refused)
          .ok());
  const std::string entry = refused.do_not_solicit(0).entry_id();
  ASSERT_EQ(ListDnc("+819012345678", false).size(), 1u);

  v1::ClearDoNotSolicitRequest clear;
  clear.set_entry_id(entry);
  clear.set_requested_by("cc-operator-3");
  v1::DoNotSolicitEntry cleared;
  grpc::Status s = consents_->ClearDoNotSolicit(Ctx().get(), clear, &cleared);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "evidence_ref: is required");
  EXPECT_EQ(CheckDial(kPhone, "fibre-2026-12").decision().verdict(),
            v1::VERDICT_BLOCK);

  clear.set_evidence_ref("rec-2027-0001");
  clear.set_reason("お客様から再度のご案内希望");
  ASSERT_TRUE(consents_->ClearDoNotSolicit(Ctx().get(), clear, &cleared).ok());
  EXPECT_FALSE(cleared.active());
  EXPECT_EQ(cleared.cleared_by(), "cc-operator-3");
  EXPECT_EQ(CheckDial(kPhone, "fibre-2026-12").decision().verdict(),
            v1::VERDICT_ALLOW);
  EXPECT_TRUE(ListDnc("09012345678", false).empty());
  auto history = ListDnc("09012345678", true);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].cleared_evidence_ref(), "rec-2027-0001");

  s = consents_->ClearDoNotSolicit(Ctx().get(), clear, &cleared);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  clear.set_entry_id("dns_nope");
  s = consents_->ClearDoNotSolicit(Ctx().get(), clear, &cleared);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  // A restart rebuilds the index from the table: still cleared.
  Restart();
  EXPECT_EQ(CheckDial(kPhone, "fibre-2026-12").decision().verdict(),
            v1::VERDICT_ALLOW);
}

TEST_F(TelemarketingTest, RefusalSurvivesARestart) {
  CallCampaign("fibre-2026-12");
  ASSERT_TRUE(Record(TmConsent()).ok());
  auto dial = CheckDial(kPhone, "fibre-2026-12");
  v1::ReportOutcomeResponse refused;
  ASSERT_TRUE(
      Outcome(dial.decision().decision_id(), v1::CALL_OUTCOME_REFUSED, &refused)
          .ok());
  Restart();
  EXPECT_EQ(ReasonsOf(CheckDial(kPhone, "fibre-2026-12").decision()),
            ReasonList{v1::REASON_DO_NOT_SOLICIT});
}

TEST_F(TelemarketingTest, WrongPartyWithdrawsTheConsentNamingTheNumber) {
  CallCampaign("fibre-2026-12");
  ASSERT_TRUE(Record(TmConsent()).ok());
  auto dial = CheckDial(kPhone, "fibre-2026-12");
  v1::ReportOutcomeResponse wrong;
  ASSERT_TRUE(Outcome(dial.decision().decision_id(),
                      v1::CALL_OUTCOME_WRONG_PARTY, &wrong)
                  .ok());
  EXPECT_EQ(wrong.withdrawn_consent_ids_size(), 1);
  EXPECT_TRUE(wrong.do_not_solicit().empty());
  EXPECT_EQ(ReasonsOf(CheckDial(kPhone, "fibre-2026-12").decision()),
            ReasonList{v1::REASON_CONSENT_WITHDRAWN});
}

TEST_F(TelemarketingTest, DisclosureViolationIsStoredAndLoggedNotRefused) {
  CallCampaign("fibre-2026-12");
  ASSERT_TRUE(Record(TmConsent()).ok());
  auto dial = CheckDial(kPhone, "fibre-2026-12");
  // Only the seller named, and after the pitch had begun.
  v1::ReportDisclosureResponse r;
  ASSERT_TRUE(Disclose(Disclosure(dial.decision().decision_id(),
                                  /*all_items=*/false,
                                  /*pitch_after=*/-5'000'000),
                       &r)
                  .ok());
  EXPECT_FALSE(r.compliant());
  EXPECT_EQ(
      std::vector<std::string>(r.violations().begin(), r.violations().end()),
      (std::vector<std::string>{"AGENT_NAME was not disclosed",
                                "GOODS_TYPE was not disclosed",
                                "SOLICITATION_PURPOSE was not disclosed",
                                "disclosed after the pitch started"}));
  bool logged = false;
  for (const auto& e : QueryAudit()) {
    if (e.seq() != r.audit_seq()) continue;
    logged = e.kind() == "disclosure.violation" && e.actor() == "agent:agent-7";
  }
  EXPECT_TRUE(logged);
}

TEST_F(TelemarketingTest, ReportErrorsSayWhatIsWrong) {
  CallCampaign("fibre-2026-12");
  ApprovedCampaign("leaflet", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(TmConsent()).ok());
  ASSERT_TRUE(Record(AdConsent()).ok());
  auto allowed = CheckDial(kPhone, "fibre-2026-12");
  auto blocked = CheckDial(testing::kOtherPhone, "fibre-2026-12");
  ASSERT_EQ(blocked.decision().verdict(), v1::VERDICT_BLOCK);
  auto insert = CheckInsert("C-1001", "leaflet");
  v1::ReportDisclosureResponse r;

  grpc::Status s =
      Disclose(Disclosure("dec_00000000000000000000000000000000"), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  s = Disclose(Disclosure(blocked.decision().decision_id()), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("was a BLOCK"), std::string::npos);
  s = Disclose(Disclosure(insert.decision_id()), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("not a dial decision"), std::string::npos);
  s = Disclose(Disclosure("not-an-id"), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("decision_id:", 0), 0u);

  // The same report twice: the first answer; a different one: refused.
  const auto report = Disclosure(allowed.decision().decision_id());
  v1::ReportDisclosureResponse first, second;
  ASSERT_TRUE(Disclose(report, &first).ok());
  ASSERT_TRUE(Disclose(report, &second).ok());
  EXPECT_EQ(first.audit_seq(), second.audit_seq());
  auto other = report;
  other.set_recording_ref("rec-other");
  s = Disclose(other, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  v1::ReportOutcomeResponse o1, o2;
  ASSERT_TRUE(
      Outcome(allowed.decision().decision_id(), v1::CALL_OUTCOME_NO_ANSWER, &o1)
          .ok());
  ASSERT_TRUE(
      Outcome(allowed.decision().decision_id(), v1::CALL_OUTCOME_NO_ANSWER, &o2)
          .ok());
  EXPECT_EQ(o1.audit_seq(), o2.audit_seq());
  s = Outcome(allowed.decision().decision_id(), v1::CALL_OUTCOME_REFUSED, &o2);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  s = Outcome(blocked.decision().decision_id(), v1::CALL_OUTCOME_REFUSED, &o2);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  s = Outcome(allowed.decision().decision_id(), v1::CALL_OUTCOME_UNSPECIFIED,
              &o2);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "outcome: is required");

  v1::SubjectReportRequest no_one;
  no_one.set_customer_id("C-1001");
  v1::SubjectReportResponse sr;
  s = audit_->SubjectReport(Ctx().get(), no_one, &sr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "requested_by: is required");
}

TEST_F(TelemarketingTest, CallCampaignWithoutRegimeIsNotApproved) {
  v1::CreateCampaignRequest req;
  req.set_actor("alice");
  v1::Campaign* c = req.mutable_campaign();
  c->set_campaign_id("no-regime");
  c->set_kind(v1::CAMPAIGN_KIND_CALL);
  c->set_company_id("hikari-net");
  c->set_goods_type(kFibre);
  *c->mutable_starts_at() = FromMicros(Now());
  *c->mutable_ends_at() = FromMicros(Now() + testing::kDay);
  v1::Campaign out;
  ASSERT_TRUE(campaigns_->CreateCampaign(Ctx().get(), req, &out).ok());
  grpc::Status s = Approve("no-regime");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message().rfind("regime:", 0), 0u) << s.error_message();
}

// ---- Calling hours and blackout dates, on the daemon's real clock ----

// "HH:MM" of a local minute of the day, clamped to [00:00, 24:00].
std::string Hhmm(int minute) {
  return FormatTimeOfDay(std::clamp(minute, 0, 24 * 60));
}

TEST_F(TelemarketingTest, CallingHoursAndBlackoutDatesOnTheRealClock) {
  CallCampaign("fibre-2026-12");
  ASSERT_TRUE(Record(TmConsent()).ok());
  const LocalTime now = ToLocalTime(Now(), kJst);
  // Hours that hold now (an hour either side), and hours that do not (the
  // other half of the day).
  const std::string in =
      StrCat("calling_hours: {start: \"", Hhmm(now.minute - 60), "\", end: \"",
             Hhmm(now.minute + 60), "\"}\n");
  const std::string out =
      now.minute < 12 * 60
          ? "calling_hours: {start: \"13:00\", end: \"24:00\"}\n"
          : "calling_hours: {start: \"00:00\", end: \"11:00\"}\n";
  RestartWith(in);
  EXPECT_EQ(CheckDial(kPhone, "fibre-2026-12").decision().verdict(),
            v1::VERDICT_ALLOW);
  RestartWith(out);
  auto outside = CheckDial(kPhone, "fibre-2026-12");
  EXPECT_EQ(ReasonsOf(outside.decision()),
            ReasonList{v1::REASON_OUTSIDE_CALLING_HOURS});
  EXPECT_NE(outside.decision().explanation().find("is outside the calling"),
            std::string::npos);
  // Today, local date, is a blackout date.
  RestartWith(in + "blackout_dates: [\"" + FormatIsoDate(now.day) + "\"]\n");
  auto blackout = CheckDial(kPhone, "fibre-2026-12");
  EXPECT_EQ(ReasonsOf(blackout.decision()),
            ReasonList{v1::REASON_OUTSIDE_CALLING_HOURS});
  EXPECT_NE(blackout.decision().explanation().find("is a blackout date"),
            std::string::npos);
  RestartWith(in + "blackout_dates: [\"" + FormatIsoDate(now.day + 1) +
              "\"]\n");
  EXPECT_EQ(CheckDial(kPhone, "fibre-2026-12").decision().verdict(),
            v1::VERDICT_ALLOW);
}

TEST_F(TelemarketingTest, CampaignWindowNarrowsTheHours) {
  // The daemon allows all day; the campaign's window decides.
  ASSERT_TRUE(Record(TmConsent()).ok());
  const LocalTime now = ToLocalTime(Now(), kJst);
  CallCampaign("inside", kFibre, Hhmm(now.minute - 60), Hhmm(now.minute + 60));
  if (now.minute < 12 * 60) {
    CallCampaign("outside", kFibre, "13:00", "24:00");
  } else {
    CallCampaign("outside", kFibre, "00:00", "11:00");
  }
  EXPECT_EQ(CheckDial(kPhone, "inside").decision().verdict(),
            v1::VERDICT_ALLOW);
  EXPECT_EQ(ReasonsOf(CheckDial(kPhone, "outside").decision()),
            ReasonList{v1::REASON_OUTSIDE_CALLING_HOURS});
}

// ---- Frequency caps ----

TEST_F(TelemarketingTest, CapsHoldAtTheirBoundaryAndAcrossARestart) {
  RestartWith(
      "frequency_caps: {per_number_per_campaign_per_day: 2, "
      "per_number_per_company_30d: 3}\n");
  CallCampaign("a");
  CallCampaign("b", kPower);
  ASSERT_TRUE(Record(TmConsent()).ok());
  EXPECT_EQ(CheckDial(kPhone, "a").decision().verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(CheckDial(kPhone, "a").decision().verdict(), v1::VERDICT_ALLOW);
  auto third = CheckDial(kPhone, "a");
  EXPECT_EQ(ReasonsOf(third.decision()), ReasonList{v1::REASON_FREQUENCY_CAP});
  EXPECT_NE(third.decision().explanation().find("(cap 2 a day)"),
            std::string::npos)
      << third.decision().explanation();
  // A BLOCK does not count: the seller's third call is still allowed.
  EXPECT_EQ(CheckDial(kPhone, "b").decision().verdict(), v1::VERDICT_ALLOW);
  auto fourth = CheckDial(kPhone, "b");
  EXPECT_EQ(ReasonsOf(fourth.decision()), ReasonList{v1::REASON_FREQUENCY_CAP});
  EXPECT_NE(fourth.decision().explanation().find("(cap 3 in 30 days)"),
            std::string::npos);
  // The counts come back from the provision records.
  RestartWith(
      "frequency_caps: {per_number_per_campaign_per_day: 2, "
      "per_number_per_company_30d: 3}\n");
  EXPECT_EQ(ReasonsOf(CheckDial(kPhone, "b").decision()),
            ReasonList{v1::REASON_FREQUENCY_CAP});
  EXPECT_EQ(Subject("C-1001").provisions_size(), 3);
}

TEST_F(TelemarketingTest, ConcurrentDialsCannotOvershootACap) {
  RestartWith("frequency_caps: {per_number_per_campaign_per_day: 5}\n");
  CallCampaign("a");
  ASSERT_TRUE(Record(TmConsent()).ok());
  constexpr int kThreads = 8, kEach = 6;
  std::atomic<int> allowed{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto stub = v1::DialGate::NewStub(daemon_->Channel());
      for (int i = 0; i < kEach; ++i) {
        v1::CheckDialRequest req;
        req.set_phone_number(kPhone);
        req.set_campaign_id("a");
        req.set_agent_id("agent-7");
        v1::CheckDialResponse r;
        if (!stub->CheckDial(Ctx().get(), req, &r).ok()) {
          ++errors;
        } else if (r.decision().verdict() == v1::VERDICT_ALLOW) {
          ++allowed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(allowed.load(), 5);
  EXPECT_EQ(Subject("C-1001").provisions_size(), 5);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(TelemarketingTest, NumbersAreNeverStoredInClearByCallRecords) {
  CallCampaign("fibre-2026-12");
  ASSERT_TRUE(Record(TmConsent()).ok());
  auto dial = CheckDial(kPhone, "fibre-2026-12");
  v1::ReportDisclosureResponse d;
  ASSERT_TRUE(Disclose(Disclosure(dial.decision().decision_id()), &d).ok());
  v1::ReportOutcomeResponse o;
  ASSERT_TRUE(Outcome(dial.decision().decision_id(),
                      v1::CALL_OUTCOME_DO_NOT_CALL_REQUESTED, &o)
                  .ok());
  ListDnc(kPhone, true);
  Subject("C-1001");
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  for (const auto& f :
       std::filesystem::directory_iterator(daemon_->data_dir())) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    for (const char* digits : {"9012345678", "90-1234-5678", "1234-5678"}) {
      EXPECT_EQ(bytes.find(digits), std::string::npos)
          << digits << " in " << f.path();
    }
  }
  EXPECT_EQ(daemon_->Stderr().find("1234"), std::string::npos);
}

}  // namespace
}  // namespace gatekeeper

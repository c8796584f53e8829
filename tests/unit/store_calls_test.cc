// SqliteStore's decisions and telemarketing call records on a real database
// file: provision records and the caps checked in the decision's transaction,
// call reports and their idempotency, do-not-solicit entries and what they do
// to decisions in flight, and the in-memory counts rebuilt on reopen.
#include <gtest/gtest.h>

#include <future>

#include "daemon/common/crypto.h"
#include "daemon/common/iso_duration.h"
#include "daemon/common/strings.h"
#include "daemon/store/retention_records.h"
#include "daemon/store/sqlite_store.h"
#include "daemon/store/write_context.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

constexpr Micros kNow = 1'780'000'000'000'000;
constexpr Micros kDay = 86'400'000'000;
const std::string kPhone(32, 'p');

class StoreCallsTest : public ::testing::Test {
 protected:
  StoreCallsTest() : clock_(kNow) { Reopen(); }

  void Reopen() {
    store_.reset();
    SqliteStoreOptions o;
    o.path = (dir_.path() / "gk.db").string();
    o.clock = &clock_;
    auto s = SqliteStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  // A TELEMARKETING consent of C1 for hikari-net naming kPhone.
  void RecordTelemarketingConsent() {
    NewConsent c;
    c.consent_id = "c1";
    c.customer_id = "C1";
    c.purpose = v1::PURPOSE_TELEMARKETING;
    c.company_id = "hikari-net";
    c.phone_pseudonym = kPhone;
    c.phone_masked = "+81 90-****-5678";
    c.notice_id = "tm";
    c.channel = v1::CONSENT_CHANNEL_RECORDED_CALL;
    c.evidence_ref = "rec-1";
    c.collected_at = kNow - kDay;
    c.collected_by = "cc";
    c.recorded_at = kNow - kDay;
    ASSERT_TRUE(store_->RecordConsent(c).ok());
  }

  // An ALLOWed dial decision of C1 with its provision under a daily cap.
  DecisionWrite AllowedDial(std::string id, uint32_t cap_per_day = 0) {
    v1::DecisionPayload p;
    p.set_decision_id(id);
    p.set_purpose(v1::PURPOSE_TELEMARKETING);
    p.set_campaign_id("k1");
    p.set_company_id("hikari-net");
    p.set_agent_id("tanaka");
    p.set_phone_hmac(ToHex(kPhone));
    p.set_phone_masked("+81 90-****-5678");
    p.set_verdict(v1::VERDICT_ALLOW);
    p.set_consent_id("c1");
    p.mutable_disclosure()->set_goods_type("光回線サービス");
    auto recipient = std::make_shared<v1::ProvisionRecord>();
    recipient->set_recipient_company_id("hikari-net");
    recipient->set_recipient_name("ひかりネット株式会社");
    recipient->set_recipient_address("東京都千代田区丸の内1-1-1");
    recipient->set_recipient_representative("代表取締役 山田太郎");
    recipient->add_data_items("phone_number");
    NewProvision n;
    n.recipient = std::move(recipient);
    n.decision_id = id;
    n.customer_id = "C1";
    n.consent_id = "c1";
    n.campaign_id = "k1";
    n.phone_masked = "+81 90-****-5678";
    n.phone_pseudonym = kPhone;
    n.provided_at = clock_.Now();
    n.retain_until = clock_.Now() + 3 * 365 * kDay;
    n.cap_per_campaign_day = cap_per_day;
    n.day_start = kNow - kDay / 2;
    n.since = kNow - 30 * kDay;
    return {{"decision.dial", "agent:tanaka", "C1", ProtoJson(p)},
            std::move(id),
            std::move(n)};
  }

  absl::StatusOr<uint64_t> Append(DecisionWrite w, uint64_t version,
                                  std::vector<std::string> keys = {}) {
    std::promise<absl::StatusOr<uint64_t>> done;
    store_->AppendDecisionAsync(std::move(w), {version, std::move(keys)},
                                [&](auto s) { done.set_value(s); });
    return done.get_future().get();
  }

  absl::StatusOr<v1::OutcomeReport> Outcome(std::string decision_id,
                                            OutcomeChanges changes,
                                            std::string fingerprint = "fp") {
    std::promise<absl::StatusOr<v1::OutcomeReport>> done;
    store_->ReportOutcomeAsync(
        std::move(decision_id), std::move(fingerprint),
        [changes](
            const LoggedDecision& d) -> absl::StatusOr<Store::JudgedOutcome> {
          Store::JudgedOutcome j;
          j.report.set_decision_id(d.decision_id);
          j.report.set_agent_id(d.agent_id);
          j.report.set_outcome(v1::CALL_OUTCOME_REFUSED);
          j.changes = changes;
          return j;
        },
        [&](auto r) { done.set_value(r); });
    return done.get_future().get();
  }

  DialCounts Counts() {
    return store_->CountDials(kPhone, "hikari-net", "k1", kNow - kDay / 2,
                              kNow - 30 * kDay);
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreCallsTest, ProvisionRecordIsWrittenWithItsDecision) {
  auto seq = Append(AllowedDial(NewId("dec_")), store_->StateVersion());
  ASSERT_TRUE(seq.ok()) << seq.status();
  auto records = store_->ProvisionsBySeq({*seq, *seq + 100});
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  const v1::ProvisionRecord& r = (*records)[0];
  EXPECT_EQ(r.audit_seq(), *seq);
  EXPECT_EQ(r.recipient_name(), "ひかりネット株式会社");
  EXPECT_EQ(r.recipient_representative(), "代表取締役 山田太郎");
  EXPECT_EQ(r.data_items_size(), 1);
  EXPECT_EQ(r.consent_id(), "c1");
  EXPECT_EQ(ToMicros(r.retain_until()) - ToMicros(r.provided_at()),
            3 * 365 * kDay);
  EXPECT_EQ(Counts().campaign_today, 1u);
}

TEST_F(StoreCallsTest, CapIsCheckedAgainInTheDecisionsTransaction) {
  // Two dials decided on the same state, both seeing no earlier dial: the
  // second ALLOW would overshoot a cap of 1, so its append is refused and
  // the caller decides again.
  const uint64_t version = store_->StateVersion();
  ASSERT_TRUE(Append(AllowedDial(NewId("dec_"), 1), version).ok());
  EXPECT_EQ(Append(AllowedDial(NewId("dec_"), 1), version).status().code(),
            absl::StatusCode::kAborted);
  // Without a cap both go in.
  ASSERT_TRUE(Append(AllowedDial(NewId("dec_"), 0), version).ok());
  EXPECT_EQ(Counts().campaign_today, 2u);
  // The counts come back from the provision records.
  Reopen();
  EXPECT_EQ(Counts().campaign_today, 2u);
  EXPECT_EQ(Counts().company_30d, 2u);
}

TEST_F(StoreCallsTest, DisclosureReportIsIdempotentAndNeedsADecision) {
  const std::string id = NewId("dec_");
  ASSERT_TRUE(Append(AllowedDial(id), store_->StateVersion()).ok());
  auto report = [&](std::string decision, std::string fingerprint,
                    bool judge_fails = false) {
    std::promise<absl::StatusOr<v1::DisclosureReport>> done;
    store_->ReportDisclosureAsync(
        std::move(decision), std::move(fingerprint),
        [judge_fails](
            const LoggedDecision& d) -> absl::StatusOr<v1::DisclosureReport> {
          if (judge_fails) return absl::FailedPreconditionError("no");
          EXPECT_EQ(d.kind, "decision.dial");
          EXPECT_EQ(d.verdict, v1::VERDICT_ALLOW);
          EXPECT_EQ(d.phone_pseudonym, kPhone);
          EXPECT_EQ(d.goods_type, "光回線サービス");
          v1::DisclosureReport r;
          r.set_decision_id(d.decision_id);
          r.set_agent_id(d.agent_id);
          r.set_compliant(true);
          return r;
        },
        [&](auto r) { done.set_value(r); });
    return done.get_future().get();
  };
  EXPECT_EQ(report(NewId("dec_"), "a").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(report(id, "a", /*judge_fails=*/true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto first = report(id, "a");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = report(id, "a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->audit_seq(), first->audit_seq());
  EXPECT_EQ(report(id, "b").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreCallsTest, ProvisionsAndDisclosureReportsGoAfterTheirPeriods) {
  RecordTelemarketingConsent();  // seq 1
  const std::string id = NewId("dec_");
  ASSERT_TRUE(Append(AllowedDial(id), store_->StateVersion()).ok());  // 2
  std::promise<absl::StatusOr<v1::DisclosureReport>> reported;
  store_->ReportDisclosureAsync(  // seq 3
      id, "fp",
      [](const LoggedDecision& d) -> absl::StatusOr<v1::DisclosureReport> {
        v1::DisclosureReport r;
        r.set_decision_id(d.decision_id);
        r.set_compliant(true);
        return r;
      },
      [&](auto r) { reported.set_value(r); });
  ASSERT_TRUE(reported.get_future().get().ok());
  auto plan = [&] {
    PurgePlan p;
    const Micros now = clock_.Now();
    p.decisions_before = now - *ParseIsoDuration("P1Y");
    p.provision_records_before = now - *ParseIsoDuration("P3Y");
    p.withdrawn_consents_before = now - *ParseIsoDuration("P3Y");
    p.disclosure_reports_before = now - *ParseIsoDuration("P3Y");
    p.cut_seq = store_->DurableHeadSeq();
    return p;
  };
  // A year and more on: the ALLOWed dial's entry stays with its provision
  // record, and the report stays.
  clock_.Advance(400 * kDay);
  ASSERT_TRUE(store_->LogEvent({"test.tick", "test", "", "{}"}).ok());
  auto r = store_->Purge(plan(), false, "dba");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.audit_entries(), 0u);
  // Three years after the provision and the report, both go.
  clock_.Advance(3 * 366 * kDay);
  ASSERT_TRUE(store_->LogEvent({"test.tick", "test", "", "{}"}).ok());
  r = store_->Purge(plan(), false, "dba");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.provision_records(), 1u);
  EXPECT_EQ(r->counts.disclosure_reports(), 1u);
  EXPECT_EQ(r->counts.audit_entries(), 2u);
  auto records = store_->ProvisionsBySeq({2});
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
  auto v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->detail;
  Reopen();
  v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->detail;
}

TEST_F(StoreCallsTest, StopRequestBlocksAndWithdrawsInOneTransaction) {
  RecordTelemarketingConsent();
  const std::string id = NewId("dec_");
  ASSERT_TRUE(Append(AllowedDial(id), store_->StateVersion()).ok());
  const uint64_t before = store_->StateVersion();
  OutcomeChanges stop;
  stop.do_not_solicit = true;
  stop.all_goods_types = true;
  stop.withdraw_company_consents = true;
  auto out = Outcome(id, stop);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->do_not_solicit_size(), 1);
  EXPECT_EQ(out->withdrawn_consent_ids_size(), 1);
  // The entry is served to decisions at once, by number and by customer.
  auto by_phone = store_->DoNotSolicitOf(kPhone, {});
  ASSERT_TRUE(by_phone.ok());
  ASSERT_EQ(by_phone->size(), 1u);
  EXPECT_TRUE((*by_phone)[0].all_goods_types);
  EXPECT_EQ(store_->DoNotSolicitOf("", {"C1"})->size(), 1u);
  // A decision that read the number before the outcome is decided again.
  EXPECT_EQ(Append(AllowedDial(NewId("dec_")), before, {PhoneKey(kPhone)})
                .status()
                .code(),
            absl::StatusCode::kAborted);
  auto consents = store_->ListConsents("C1", true);
  ASSERT_EQ(consents->size(), 1u);
  EXPECT_EQ((*consents)[0].state(), v1::CONSENT_STATE_WITHDRAWN);
  // Cleared: gone from the index, kept in the table, also after a reopen.
  v1::ClearDoNotSolicitRequest clear;
  clear.set_entry_id(out->do_not_solicit(0).entry_id());
  clear.set_evidence_ref("rec-2");
  clear.set_requested_by("op");
  ASSERT_TRUE(store_->ClearDoNotSolicit(clear, kNow).ok());
  EXPECT_TRUE(store_->DoNotSolicitOf(kPhone, {"C1"})->empty());
  EXPECT_EQ(store_->ClearDoNotSolicit(clear, kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Reopen();
  EXPECT_TRUE(store_->DoNotSolicitOf(kPhone, {"C1"})->empty());
  EXPECT_EQ(store_->ListDoNotSolicit("C1", "", true)->size(), 1u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreCallsTest, ATransactionLargerThanOneWriteCommitsWhole) {
  // The WAL shim writes a commit's frames in pieces of at most 64 KiB
  // (SQLite's unix VFS writes at most 128 KiB a call): a bulk import of a few
  // megabytes of pages must still commit and survive a reopen.
  std::vector<NewConsent> batch;
  for (int i = 0; i < 3000; ++i) {
    NewConsent c;
    c.consent_id = StrCat("c", i);
    c.customer_id = StrCat("C", i);
    c.purpose = v1::PURPOSE_AD_INSERT;
    c.company_id = "hikari-net";
    c.notice_id = "ad";
    c.channel = v1::CONSENT_CHANNEL_IMPORT;
    c.evidence_ref = std::string(200, 'e');
    c.collected_at = kNow - kDay;
    c.collected_by = "import";
    batch.push_back(std::move(c));
  }
  ASSERT_TRUE(store_->ImportConsents(batch).ok());
  Reopen();
  EXPECT_EQ(store_->ListConsents("C2999", false)->size(), 1u);
  EXPECT_EQ(store_->VerifyAudit()->entries_checked, 3000u);
}

}  // namespace
}  // namespace gatekeeper

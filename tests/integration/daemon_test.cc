// End-to-end tests: the real gatekeeperd on a free loopback port with a temp
// data_dir, driven over gRPC by a real client.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "daemon/common/clock.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/campaign_service.grpc.pb.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper {
namespace {

using testing::Ctx;
using testing::DaemonOptions;
using testing::DaemonProcess;
using testing::DaemonTest;
using testing::kDay;
using testing::kOtherPhone;
using testing::kPhone;
using testing::kPhoneE164;
using testing::Now;
using testing::ReasonList;

TEST_F(DaemonTest, InsertConsentLifecycle) {
  ApprovedCampaign("hikari-leaflet-2026-05", v1::CAMPAIGN_KIND_INSERT);
  v1::Decision before = CheckInsert("C-1001", "hikari-leaflet-2026-05");
  EXPECT_EQ(before.verdict(), v1::VERDICT_BLOCK);
  EXPECT_EQ(ReasonsOf(before), ReasonList{v1::REASON_NO_CONSENT});

  v1::ConsentRecord rec;
  ASSERT_TRUE(Record(AdConsent(), &rec).ok());
  EXPECT_EQ(rec.state(), v1::CONSENT_STATE_GRANTED);
  v1::Decision allow = CheckInsert("C-1001", "hikari-leaflet-2026-05");
  EXPECT_EQ(allow.verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(ReasonsOf(allow), ReasonList{v1::REASON_CONSENT_ON_RECORD});
  EXPECT_EQ(allow.consent_id(), rec.consent_id());
  EXPECT_GT(allow.audit_seq(), before.audit_seq());
  EXPECT_FALSE(allow.decision_id().empty());

  auto wd = Withdraw("C-1001", v1::PURPOSE_AD_INSERT);
  ASSERT_EQ(wd.consents_size(), 1);
  EXPECT_EQ(wd.consents(0).consent_id(), rec.consent_id());
  v1::Decision after = CheckInsert("C-1001", "hikari-leaflet-2026-05");
  EXPECT_EQ(after.verdict(), v1::VERDICT_BLOCK);
  EXPECT_EQ(ReasonsOf(after), ReasonList{v1::REASON_CONSENT_WITHDRAWN});
  EXPECT_TRUE(after.consent_id().empty());
}

TEST_F(DaemonTest, DialConsentLifecycle) {
  ApprovedCampaign("hikari-call-2026-05", v1::CAMPAIGN_KIND_CALL);
  v1::ConsentRecord rec;
  ASSERT_TRUE(Record(TmConsent(), &rec).ok());
  EXPECT_EQ(rec.phone_masked(), "+81 90-****-5678");

  // Any format of the same number matches, and is logged the same way,
  // whether it was parsed or recognised as a number on record.
  const char* kFullWidth =
      "\xef\xbc\x90\xef\xbc\x99\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef"
      "\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97\xef\xbc"
      "\x98";  // full-width: parsed by libphonenumber
  for (const char* phone : {kPhoneE164, kPhone, "09012345678", kFullWidth}) {
    auto r = CheckDial(phone, "hikari-call-2026-05");
    EXPECT_EQ(r.decision().verdict(), v1::VERDICT_ALLOW) << phone;
    EXPECT_EQ(r.decision().consent_id(), rec.consent_id());
  }
  std::set<std::string> logged;
  for (const v1::AuditEntry& e : QueryAudit()) {
    if (e.kind() != "decision.dial") continue;
    v1::DecisionPayload p;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(e.payload_json(), &p).ok())
        << e.payload_json();
    ASSERT_FALSE(p.phone_hmac().empty()) << e.payload_json();
    logged.insert(p.phone_hmac() + " " + p.phone_masked());
    EXPECT_EQ(p.phone_masked(), "+81 90-****-5678");
  }
  EXPECT_EQ(logged.size(), 1u);
  auto with_customer = CheckDial(kPhone, "hikari-call-2026-05", "C-1001");
  EXPECT_EQ(with_customer.decision().verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(with_customer.disclosure().seller_name(), "ひかりネット株式会社");
  EXPECT_EQ(with_customer.disclosure().seller_address(),
            "東京都千代田区丸の内1-1-1");
  EXPECT_EQ(with_customer.disclosure().seller_phone(), "0120-000-111");
  EXPECT_EQ(with_customer.disclosure().goods_type(), "光回線サービス");
  EXPECT_FALSE(with_customer.disclosure().solicitation_statement().empty());

  auto other = CheckDial(kOtherPhone, "hikari-call-2026-05", "C-1001");
  EXPECT_EQ(ReasonsOf(other.decision()),
            ReasonList{v1::REASON_PHONE_NOT_CONSENTED});
  auto wrong_customer = CheckDial(kPhone, "hikari-call-2026-05", "C-2002");
  EXPECT_EQ(ReasonsOf(wrong_customer.decision()),
            ReasonList{v1::REASON_NO_CONSENT});
  auto unknown_number = CheckDial(kOtherPhone, "hikari-call-2026-05");
  EXPECT_EQ(ReasonsOf(unknown_number.decision()),
            ReasonList{v1::REASON_NO_CONSENT});

  Withdraw("C-1001", v1::PURPOSE_UNSPECIFIED);
  auto after = CheckDial(kPhone, "hikari-call-2026-05", "C-1001");
  EXPECT_EQ(after.decision().verdict(), v1::VERDICT_BLOCK);
  EXPECT_EQ(ReasonsOf(after.decision()),
            ReasonList{v1::REASON_CONSENT_WITHDRAWN});
}

TEST_F(DaemonTest, CampaignRulesApplyToChecks) {
  ASSERT_TRUE(Record(AdConsent()).ok());
  ASSERT_TRUE(CreateCampaign("draft-1", v1::CAMPAIGN_KIND_INSERT).ok());
  EXPECT_EQ(ReasonsOf(CheckInsert("C-1001", "draft-1")),
            ReasonList{v1::REASON_CAMPAIGN_NOT_APPROVED});
  ApprovedCampaign("call-1", v1::CAMPAIGN_KIND_CALL);
  EXPECT_EQ(ReasonsOf(CheckInsert("C-1001", "call-1")),
            ReasonList{v1::REASON_CAMPAIGN_WRONG_KIND});
  ASSERT_TRUE(CreateCampaign("later-1", v1::CAMPAIGN_KIND_INSERT, "alice",
                             Now() + kDay, Now() + 2 * kDay)
                  .ok());
  ASSERT_TRUE(Approve("later-1").ok());
  EXPECT_EQ(ReasonsOf(CheckInsert("C-1001", "later-1")),
            ReasonList{v1::REASON_CAMPAIGN_OUTSIDE_WINDOW});
  // A well-formed unknown campaign is a BLOCK, not an error.
  v1::Decision unknown = CheckInsert("C-1001", "no-such-campaign");
  EXPECT_EQ(ReasonsOf(unknown), ReasonList{v1::REASON_UNKNOWN_CAMPAIGN});
  EXPECT_GT(unknown.audit_seq(), 0u);
}

TEST_F(DaemonTest, CampaignErrors) {
  ASSERT_TRUE(CreateCampaign("k1", v1::CAMPAIGN_KIND_INSERT).ok());
  EXPECT_EQ(CreateCampaign("k1", v1::CAMPAIGN_KIND_INSERT).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  grpc::Status self = Approve("k1", "alice");
  EXPECT_EQ(self.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Approve("nope").error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status backwards =
      CreateCampaign("k2", v1::CAMPAIGN_KIND_INSERT, "alice", Now(), Now() - 1);
  EXPECT_EQ(backwards.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(backwards.error_message().rfind("campaign.ends_at:", 0), 0u);
  v1::GetCampaignRequest get;
  get.set_campaign_id("k1");
  v1::Campaign c;
  ASSERT_TRUE(campaigns_->GetCampaign(Ctx().get(), get, &c).ok());
  EXPECT_EQ(c.state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(c.created_by(), "alice");
  v1::ListCampaignsResponse list;
  ASSERT_TRUE(campaigns_->ListCampaigns(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.campaigns_size(), 1);
}

// The bound on every string (policy/request_strings.h) through the real
// daemon: fields that no other check looked at before it.
TEST_F(DaemonTest, OverlongOrControlCharacterStringsAreInvalidAndNamed) {
  ASSERT_TRUE(CreateCampaign("k1", v1::CAMPAIGN_KIND_INSERT).ok());
  EXPECT_EQ(Approve("k1", "bob\nalice").error_message(),
            "approver: contains a control character");

  v1::RetireCampaignRequest retire;
  retire.set_campaign_id("k1");
  retire.set_actor(std::string(129, 'a'));
  v1::Campaign c;
  const grpc::Status r = campaigns_->RetireCampaign(Ctx().get(), retire, &c);
  EXPECT_EQ(r.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.error_message(), "actor: is longer than 128 bytes");

  v1::ListCampaignsRequest list;
  list.set_company_id(std::string(200, 'x'));
  v1::ListCampaignsResponse campaigns;
  EXPECT_EQ(
      campaigns_->ListCampaigns(Ctx().get(), list, &campaigns).error_message(),
      "company_id: is longer than 128 bytes");

  v1::WatchAuditRequest watch;
  watch.add_kinds("decision.");
  watch.add_kinds(std::string("consent.\x01", 9));
  auto ctx = Ctx();
  auto reader = audit_->WatchAudit(ctx.get(), watch);
  v1::AuditEntry e;
  EXPECT_FALSE(reader->Read(&e));
  const grpc::Status w = reader->Finish();
  EXPECT_EQ(w.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(w.error_message(), "kinds[1]: contains a control character");

  // A company id is bounded before it is looked up and echoed.
  v1::RecordConsentRequest rec;
  rec.set_customer_id("C-1");
  rec.set_purpose(v1::PURPOSE_AD_INSERT);
  rec.set_company_id(std::string(100, 'c'));
  v1::ConsentRecord out;
  EXPECT_EQ(consents_->RecordConsent(Ctx().get(), rec, &out).error_message(),
            "company_id: is longer than 64 bytes");
}

TEST_F(DaemonTest, ExpiredConsentBlocks) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  auto r = AdConsent();
  *r.mutable_collected_at() = FromMicros(Now() - 10 * kDay);
  *r.mutable_expires_at() = FromMicros(Now() - kDay);
  ASSERT_TRUE(Record(r).ok());
  EXPECT_EQ(ReasonsOf(CheckInsert("C-1001", "k1")),
            ReasonList{v1::REASON_CONSENT_EXPIRED});
}

TEST_F(DaemonTest, ExpiryIsCheckedAtDecisionTime) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  auto r = AdConsent();
  const Micros expires = Now() + 1'500'000;
  *r.mutable_expires_at() = FromMicros(expires);
  ASSERT_TRUE(Record(r).ok());
  EXPECT_EQ(CheckInsert("C-1001", "k1").verdict(), v1::VERDICT_ALLOW);
  // Let the consent run out: no write happens in between.
  std::this_thread::sleep_for(
      std::chrono::microseconds(expires - Now() + 1000));
  EXPECT_EQ(ReasonsOf(CheckInsert("C-1001", "k1")),
            ReasonList{v1::REASON_CONSENT_EXPIRED});
}

TEST_F(DaemonTest, SameRequestIdIsIdempotent) {
  v1::ConsentRecord first, second;
  const auto request = AdConsent("C-1001", "req-42");
  ASSERT_TRUE(Record(request, &first).ok());
  ASSERT_TRUE(Record(request, &second).ok());  // a client's retry
  EXPECT_EQ(first.consent_id(), second.consent_id());
  auto other = request;
  other.set_evidence_ref("scan-999");
  grpc::Status s = Record(other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("request_id"), std::string::npos);
  v1::ListConsentsRequest list;
  list.set_customer_id("C-1001");
  list.set_include_history(true);
  v1::ListConsentsResponse resp;
  grpc::Status ls = consents_->ListConsents(Ctx().get(), list, &resp);
  ASSERT_TRUE(ls.ok()) << ls.error_message();
  EXPECT_EQ(resp.consents_size(), 1);
}

struct InvalidCase {
  std::string name;
  std::function<void(v1::RecordConsentRequest&)> mutate;
  std::string field;
};

TEST_F(DaemonTest, RecordConsentRejectsInvalidInputNamingTheField) {
  const std::vector<InvalidCase> cases = {
      {"unknown company", [](auto& r) { r.set_company_id("acme"); },
       "company_id"},
      {"unconfigured notice", [](auto& r) { r.set_notice_id("ad-1999"); },
       "notice_id"},
      {"notice for other purpose",
       [](auto& r) { r.set_notice_id("ad-2026-04"); }, "notice_id"},
      {"notice not naming company",
       [](auto& r) { r.set_company_id("denki-home"); }, "notice_id"},
      {"telemarketing without phone", [](auto& r) { r.clear_phone_number(); },
       "phone_number"},
      {"unparsable phone", [](auto& r) { r.set_phone_number("12-34"); },
       "phone_number"},
      {"missing evidence", [](auto& r) { r.clear_evidence_ref(); },
       "evidence_ref"},
      {"missing customer", [](auto& r) { r.clear_customer_id(); },
       "customer_id"},
      {"missing channel", [](auto& r) { r.clear_channel(); }, "channel"},
      {"missing collector", [](auto& r) { r.clear_collected_by(); },
       "collected_by"},
      {"missing purpose", [](auto& r) { r.clear_purpose(); }, "purpose"},
      {"collected in future",
       [](auto& r) { *r.mutable_collected_at() = FromMicros(Now() + kDay); },
       "collected_at"},
  };
  for (const auto& c : cases) {
    auto req = TmConsent();
    c.mutate(req);
    grpc::Status s = Record(req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_EQ(s.error_message().rfind(c.field + ":", 0), 0u)
        << c.name << ": " << s.error_message();
  }
  // Nothing was half-written.
  EXPECT_TRUE(QueryAudit().empty());
}

TEST_F(DaemonTest, MalformedChecksAreInvalidArgument) {
  grpc::Status s;
  CheckInsert("", "k1", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "customer_id: is required");
  CheckInsert("C-1001", "", &s);
  EXPECT_EQ(s.error_message(), "campaign_id: is required");
  CheckDial("not-a-number", "k1", "", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("phone_number:", 0), 0u);
  CheckDial("", "k1", "", &s);
  EXPECT_EQ(s.error_message(), "phone_number: is required");
  v1::CheckDialRequest no_agent;
  no_agent.set_phone_number("+819012345678");
  no_agent.set_campaign_id("k1");
  v1::CheckDialResponse r;
  s = dial_->CheckDial(Ctx().get(), no_agent, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "agent_id: is required");
  EXPECT_TRUE(QueryAudit().empty());
}

TEST_F(DaemonTest, EveryChangeAndDecisionIsAuditedAndVerifies) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);  // 2 entries
  ASSERT_TRUE(Record(AdConsent()).ok());             // 3
  CheckInsert("C-1001", "k1");                       // 4
  Withdraw("C-1001", v1::PURPOSE_AD_INSERT);         // 5
  CheckInsert("C-1001", "k1");                       // 6
  auto all = QueryAudit();
  ASSERT_EQ(all.size(), 6u);
  std::vector<std::string> kinds;
  for (const auto& e : all) kinds.push_back(e.kind());
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"campaign.created", "campaign.approved",
                                      "consent.recorded", "decision.insert",
                                      "consent.withdrawn", "decision.insert"}));
  EXPECT_EQ(all[3].actor(), "print-run:run-2026-05");
  EXPECT_EQ(all[1].prev_hash(), all[0].hash());
  EXPECT_EQ(QueryAudit("C-1001").size(), 4u);
  auto v = Verify();
  EXPECT_TRUE(v.ok()) << v.detail();
  EXPECT_EQ(v.entries_checked(), 6u);
  EXPECT_EQ(v.head_hash(), all.back().hash());
}

TEST_F(DaemonTest, VerifyNamesTheAlteredEntry) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent()).ok());
  CheckInsert("C-1001", "k1");
  ASSERT_TRUE(Verify().ok());
  // Change one byte of entry 3 behind the daemon's back.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((daemon_->data_dir() / "gatekeeper.db").c_str(), &db),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "UPDATE audit SET payload_json = "
                   "replace(payload_json, 'C-1001', 'C-1002') WHERE seq = 3",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_seq(), 3u);
  EXPECT_NE(v.detail().find("entry 3"), std::string::npos) << v.detail();
}

TEST_F(DaemonTest, RestartKeepsDataAndChain) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  v1::ConsentRecord rec;
  ASSERT_TRUE(Record(AdConsent(), &rec).ok());
  v1::Decision before = CheckInsert("C-1001", "k1");
  Restart();
  v1::Decision after = CheckInsert("C-1001", "k1");
  EXPECT_EQ(after.verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(after.consent_id(), rec.consent_id());
  EXPECT_EQ(after.audit_seq(), before.audit_seq() + 1);
  auto v = Verify();
  EXPECT_TRUE(v.ok()) << v.detail();
  EXPECT_EQ(v.entries_checked(), after.audit_seq());
}

TEST_F(DaemonTest, KillDashNineLosesNothingAcknowledged) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent()).ok());
  std::vector<v1::Decision> acked;
  for (int i = 0; i < 20; ++i) acked.push_back(CheckInsert("C-1001", "k1"));
  daemon_->Kill();
  StartDaemon();
  auto entries = QueryAudit();
  std::set<std::string> logged;
  for (const auto& e : entries) logged.insert(e.payload_json());
  for (const auto& d : acked) {
    ASSERT_LE(d.audit_seq(), entries.size());
    EXPECT_NE(entries[d.audit_seq() - 1].payload_json().find(d.decision_id()),
              std::string::npos);
  }
  EXPECT_TRUE(Verify().ok());
}

// A clean stop leaves the consent index in a snapshot the next start reads
// instead of every row, once. A snapshot that no longer describes the
// database (here: a withdrawal after it, then kill -9) is not used: the
// withdrawal still blocks.
TEST_F(DaemonTest, TheIndexSnapshotOfACleanStopIsUsedOnceAndNeverWhenStale) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  v1::ConsentRecord rec;
  ASSERT_TRUE(Record(AdConsent(), &rec).ok());
  ASSERT_TRUE(Record(AdConsent("C-1002")).ok());
  const auto snapshot = daemon_->data_dir() / "consent_index.snapshot";
  Restart();
  EXPECT_NE(daemon_->Stderr().find("consent index: 2 consents from its "
                                   "snapshot"),
            std::string::npos)
      << daemon_->Stderr();
  EXPECT_FALSE(std::filesystem::exists(snapshot));  // read once
  v1::Decision d = CheckInsert("C-1001", "k1");
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.consent_id(), rec.consent_id());

  // Keep a copy of the next snapshot, then change the database after it.
  const auto stale = daemon_->data_dir() / "stale.snapshot";
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  std::filesystem::copy_file(snapshot, stale);
  StartDaemon();
  Withdraw("C-1001", v1::PURPOSE_AD_INSERT);
  daemon_->Kill();
  std::filesystem::copy_file(stale, snapshot);
  StartDaemon();
  EXPECT_NE(daemon_->Stderr().find("consent index: 2 consents from the "
                                   "consents table (snapshot not used: "
                                   "written for audit head"),
            std::string::npos)
      << daemon_->Stderr();
  EXPECT_EQ(CheckInsert("C-1001", "k1").verdict(), v1::VERDICT_BLOCK);
  EXPECT_EQ(CheckInsert("C-1002", "k1").verdict(), v1::VERDICT_ALLOW);
  EXPECT_FALSE(std::filesystem::exists(snapshot));
  EXPECT_TRUE(Verify().ok());
}

TEST_F(DaemonTest, FailsClosedWhenTheDiskIsFull) {
  // Writes beyond 1.5 MiB fail (RLIMIT_FSIZE): the WAL soon cannot grow.
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  DaemonOptions limited;
  limited.file_size_limit = 1536 * 1024;
  StartDaemon(limited);
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent()).ok());
  std::vector<v1::Decision> allowed;
  int errors = 0, allow_after_error = 0;
  for (int i = 0; i < 3000 && errors < 20; ++i) {
    grpc::Status s;
    v1::Decision d = CheckInsert("C-1001", "k1", &s);
    if (!s.ok()) {
      ++errors;
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
          << s.error_message();
      continue;
    }
    ASSERT_NE(d.verdict(), v1::VERDICT_UNSPECIFIED);
    if (d.verdict() == v1::VERDICT_ALLOW) {
      if (errors > 0) ++allow_after_error;
      allowed.push_back(d);
    }
  }
  ASSERT_GT(errors, 0) << "the file size limit was never reached";
  EXPECT_EQ(allow_after_error, 0);
  EXPECT_FALSE(allowed.empty());
  // The write error is an I/O error (EFBIG): the daemon refuses writes until
  // restarted and tells health checkers so.
  EXPECT_EQ(HealthCheck(), std::string("\x08\x02", 2));  // NOT_SERVING
  EXPECT_NE(daemon_->Stderr().find("refuses writes until gatekeeperd restarts"),
            std::string::npos)
      << daemon_->Stderr();
  // Every ALLOW that was given has its durable entry.
  Restart();
  auto entries = QueryAudit();
  for (const auto& d : allowed) {
    ASSERT_LE(d.audit_seq(), entries.size());
    EXPECT_NE(entries[d.audit_seq() - 1].payload_json().find(d.decision_id()),
              std::string::npos);
  }
  EXPECT_TRUE(Verify().ok());
}

TEST_F(DaemonTest, PhoneNumberIsNeverStoredOrLoggedInClear) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_CALL);
  ASSERT_TRUE(Record(TmConsent()).ok());
  CheckDial(kPhoneE164, "k1", "C-1001");
  CheckDial(kOtherPhone, "k1", "C-1001");
  auto bad = TmConsent();
  bad.set_phone_number("090-1234-567");  // invalid: must not be echoed
  EXPECT_FALSE(Record(bad).ok());
  for (const auto& e : QueryAudit()) {
    EXPECT_EQ(e.payload_json().find("12345678"), std::string::npos);
  }
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  const std::vector<std::string> needles = {
      "9012345678", "09012345678", "8765432", "1234-5678", "090-1234-567"};
  auto check = [&](const std::string& what, const std::string& content) {
    for (const auto& n : needles) {
      EXPECT_EQ(content.find(n), std::string::npos) << n << " in " << what;
    }
  };
  for (const auto& f :
       std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!f.is_regular_file() || f.path().filename() == "gk.yaml") continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    check(f.path().string(), content);
  }
  check("stderr", daemon_->Stderr());
}

TEST_F(DaemonTest, SigtermDrainsInFlightCallsAndExitsZero) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent()).ok());
  constexpr int kCalls = 200;
  grpc::CompletionQueue cq;
  std::vector<v1::Decision> replies(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Decision>>>
      calls;
  v1::CheckInsertRequest req;
  req.set_customer_id("C-1001");
  req.set_campaign_id("k1");
  for (int i = 0; i < kCalls; ++i) {
    ctxs.push_back(Ctx());
    calls.push_back(insert_->AsyncCheckInsert(ctxs.back().get(), req, &cq));
    calls.back()->Finish(&replies[i], &statuses[i],
                         reinterpret_cast<void*>(static_cast<intptr_t>(i)));
  }
  // Once the first answer is back the daemon is serving the rest.
  void* first_tag;
  bool first_ok;
  ASSERT_TRUE(cq.Next(&first_tag, &first_ok));
  const auto start = std::chrono::steady_clock::now();
  auto code = daemon_->Stop(SIGTERM, std::chrono::seconds(10));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(code.has_value()) << "did not exit within 10 s";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, std::chrono::seconds(10));
  for (int i = 1; i < kCalls; ++i) {
    void* tag;
    bool ok;
    ASSERT_TRUE(cq.Next(&tag, &ok));
  }
  EXPECT_NE(daemon_->Stderr().find("stopped"), std::string::npos);
  // Whatever was answered OK is in the log.
  StartDaemon();
  auto entries = QueryAudit();
  int answered = 0;
  for (int i = 0; i < kCalls; ++i) {
    if (!statuses[i].ok()) continue;
    ++answered;
    ASSERT_LE(replies[i].audit_seq(), entries.size());
    EXPECT_NE(entries[replies[i].audit_seq() - 1].payload_json().find(
                  replies[i].decision_id()),
              std::string::npos);
  }
  EXPECT_GT(answered, 0);
}

// The log order is the order of truth: no decision is logged after a consent
// change it did not see. Checks race withdrawals and re-grants; then the log is
// replayed and every decision must match the consent state at its place.
TEST_F(DaemonTest, DecisionsNeverFollowAChangeTheyDidNotSee) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  std::atomic<bool> stop{false};
  std::atomic<int> checks{0};
  std::vector<std::thread> checkers;
  for (int t = 0; t < 4; ++t) {
    checkers.emplace_back([&] {
      auto stub = v1::InsertGate::NewStub(daemon_->Channel());
      v1::CheckInsertRequest req;
      req.set_customer_id("C-1001");
      req.set_campaign_id("k1");
      while (!stop) {
        v1::Decision d;
        grpc::Status s = stub->CheckInsert(Ctx().get(), req, &d);
        EXPECT_TRUE(s.ok()) << s.error_message();
        ++checks;
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(Record(AdConsent()).ok());
    Withdraw("C-1001", v1::PURPOSE_AD_INSERT);
  }
  stop = true;
  for (auto& t : checkers) t.join();
  ASSERT_GT(checks, 0);

  std::set<std::string> granted;
  int decisions = 0;
  google::protobuf::util::JsonParseOptions opts;
  for (const auto& e : QueryAudit()) {
    if (e.kind() == "consent.recorded") {
      v1::ConsentRecord r;
      ASSERT_TRUE(JsonStringToMessage(e.payload_json(), &r, opts).ok());
      granted.insert(r.consent_id());
    } else if (e.kind() == "consent.withdrawn") {
      v1::WithdrawalPayload w;
      ASSERT_TRUE(JsonStringToMessage(e.payload_json(), &w, opts).ok());
      for (const auto& id : w.consent_ids()) granted.erase(id);
    } else if (e.kind() == "decision.insert") {
      v1::DecisionPayload d;
      ASSERT_TRUE(JsonStringToMessage(e.payload_json(), &d, opts).ok());
      ++decisions;
      if (d.verdict() == v1::VERDICT_ALLOW) {
        EXPECT_EQ(granted.count(d.consent_id()), 1u)
            << "entry " << e.seq() << " allowed on " << d.consent_id()
            << ", which the log shows withdrawn";
      } else {
        EXPECT_TRUE(granted.empty())
            << "entry " << e.seq() << " blocked while a consent was granted";
      }
    }
  }
  EXPECT_EQ(decisions, checks.load());
}

TEST_F(DaemonTest, HealthServiceReportsServing) {
  EXPECT_EQ(HealthCheck(), std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(DaemonTest, ServerReflectionListsTheServices) {
  // ServerReflectionRequest{list_services: ""} is field 7, empty string.
  grpc::GenericStub stub(daemon_->Channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t want) {
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_EQ(reinterpret_cast<intptr_t>(tag), want);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  ASSERT_TRUE(ok);
  grpc::Slice req_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&req_slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  step(2);
  ASSERT_TRUE(ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  step(3);
  ASSERT_TRUE(ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string raw;
  for (const auto& sl : slices) {
    raw.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  for (const char* service :
       {"gatekeeper.v1.ConsentService", "gatekeeper.v1.CampaignService",
        "gatekeeper.v1.InsertGate", "gatekeeper.v1.DialGate",
        "gatekeeper.v1.AuditService", "grpc.health.v1.Health"}) {
    EXPECT_NE(raw.find(service), std::string::npos) << service;
  }
  ctx.TryCancel();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  step(4);
}

TEST_F(DaemonTest, SecondDaemonOnSameDataDirIsRefused) {
  DaemonProcess second(daemon_->data_dir());
  EXPECT_FALSE(second.Start());
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
}

TEST_F(DaemonTest, DataFilesArePrivate) {
  ASSERT_TRUE(Record(AdConsent()).ok());  // the WAL and shm files exist now
  for (const char* name : {"pseudonym.key", "gatekeeper.db",
                           "gatekeeper.db-wal", "gatekeeper.db-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((daemon_->data_dir() / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
}

TEST(GatekeeperdCliTest, CheckConfigExitCodes) {
  auto good = testing::RunGatekeeperd({"--check-config", GATEKEEPER_SOURCE_DIR
                                       "/config/gatekeeper.example.yaml"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  testing::TempDir dir;
  const auto bad = dir.path() / "bad.yaml";
  {
    std::ofstream out(bad);
    out << "listen: \"127.0.0.1:1\"\ndata_dir: d\nlisten_port: 3\n";
  }
  auto r = testing::RunGatekeeperd({"--check-config", bad.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:3: listen_port: unknown key"),
            std::string::npos)
      << r.err;
  auto missing =
      testing::RunGatekeeperd({"--check-config", "/nonexistent.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
}

}  // namespace
}  // namespace gatekeeper

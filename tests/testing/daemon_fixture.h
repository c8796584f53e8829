// The fixture of the end-to-end tests: the real gatekeeperd on a free
// loopback port with a temp data_dir, and real gRPC stubs with helpers for
// the common requests. Shared by the integration test files.
#ifndef GATEKEEPER_TESTS_TESTING_DAEMON_FIXTURE_H_
#define GATEKEEPER_TESTS_TESTING_DAEMON_FIXTURE_H_

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "daemon/common/clock.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/campaign_service.grpc.pb.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper::testing {

inline constexpr Micros kDay = 86'400'000'000;
inline constexpr char kPhone[] = "090-1234-5678";
inline constexpr char kPhoneE164[] = "+819012345678";
inline constexpr char kOtherPhone[] = "090-8765-4321";

inline Micros Now() { return SystemClock::Get().Now(); }

inline std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
  return ctx;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { StartDaemon(); }

  void StartDaemon(DaemonOptions options = {}) {
    daemon_ = std::make_unique<DaemonProcess>(dir_.path() / "var", options);
    ASSERT_TRUE(daemon_->Start()) << daemon_->error();
    auto ch = daemon_->Channel();
    consents_ = v1::ConsentService::NewStub(ch);
    campaigns_ = v1::CampaignService::NewStub(ch);
    insert_ = v1::InsertGate::NewStub(ch);
    dial_ = v1::DialGate::NewStub(ch);
    audit_ = v1::AuditService::NewStub(ch);
  }

  // Closes the client's connections, so the daemon's graceful shutdown does
  // not wait for an idle client to acknowledge GOAWAY.
  void DropClients() {
    consents_.reset();
    campaigns_.reset();
    insert_.reset();
    dial_.reset();
    audit_.reset();
  }

  void Restart(DaemonOptions options = {}) {
    DropClients();
    ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
    StartDaemon(options);
  }

  v1::RecordConsentRequest AdConsent(std::string customer = "C-1001",
                                     std::string request_id = "") {
    v1::RecordConsentRequest r;
    r.set_request_id(std::move(request_id));
    r.set_customer_id(std::move(customer));
    r.set_purpose(v1::PURPOSE_AD_INSERT);
    r.set_company_id("hikari-net");
    r.set_notice_id("ad-2026-04");
    r.set_channel(v1::CONSENT_CHANNEL_PAPER_FORM);
    r.set_evidence_ref("scan-000123");
    r.set_collected_by("billing-center");
    *r.mutable_collected_at() = FromMicros(Now() - kDay);
    return r;
  }

  v1::RecordConsentRequest TmConsent(std::string customer = "C-1001") {
    v1::RecordConsentRequest r = AdConsent(std::move(customer));
    r.set_purpose(v1::PURPOSE_TELEMARKETING);
    r.set_notice_id("tm-2026-04");
    r.set_channel(v1::CONSENT_CHANNEL_RECORDED_CALL);
    r.set_evidence_ref("rec-2026-0001");
    r.set_phone_number(kPhone);
    return r;
  }

  grpc::Status Record(const v1::RecordConsentRequest& r,
                      v1::ConsentRecord* out = nullptr) {
    v1::ConsentRecord tmp;
    return consents_->RecordConsent(Ctx().get(), r, out ? out : &tmp);
  }

  v1::WithdrawConsentResponse Withdraw(std::string customer,
                                       v1::Purpose purpose) {
    v1::WithdrawConsentRequest w;
    w.set_customer_id(std::move(customer));
    w.set_purpose(purpose);
    w.set_channel(v1::CONSENT_CHANNEL_COUNTER);
    w.set_reason("customer asked at the counter");
    v1::WithdrawConsentResponse resp;
    grpc::Status s = consents_->WithdrawConsent(Ctx().get(), w, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status CreateCampaign(std::string id, v1::CampaignKind kind,
                              std::string actor = "alice", Micros starts = 0,
                              Micros ends = 0) {
    v1::CreateCampaignRequest req;
    req.set_actor(std::move(actor));
    v1::Campaign* c = req.mutable_campaign();
    c->set_campaign_id(std::move(id));
    c->set_kind(kind);
    c->set_company_id("hikari-net");
    c->set_goods_type("光回線サービス");
    if (kind == v1::CAMPAIGN_KIND_CALL) c->set_regime(v1::REGIME_TOKUSHOHO);
    if (kind == v1::CAMPAIGN_KIND_INSERT) LawfulLeaflet(*c);
    *c->mutable_starts_at() = FromMicros(starts ? starts : Now() - kDay);
    *c->mutable_ends_at() = FromMicros(ends ? ends : Now() + 30 * kDay);
    v1::Campaign out;
    return campaigns_->CreateCampaign(Ctx().get(), req, &out);
  }

  // What an INSERT campaign needs to be approved (特定商取引法 Art. 11): the
  // leaflet's hash, its legal review, and the default display items.
  static void LawfulLeaflet(v1::Campaign& c) {
    c.set_leaflet_sha256(
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    c.set_legal_review_id("LR-2026-0042");
    auto& d = *c.mutable_disclosures();
    d["PRICE"] = "月額4,980円(税込)";
    d["SHIPPING_FEE"] = "なし";
    d["PAYMENT_TIMING_METHOD"] = "毎月末締め、翌月の電気料金と合わせてお支払い";
    d["DELIVERY_TIMING"] = "お申込みから2週間以内に開通";
    d["APPLICATION_PERIOD"] = "期間の定めなし";
    d["CANCELLATION_RETURN_TERMS"] = "契約書面受領から8日以内は解約可能";
    d["RESPONSIBLE_PERSON"] = "販売責任者 鈴木一郎";
  }

  grpc::Status Approve(std::string id, std::string approver = "bob") {
    v1::ApproveCampaignRequest req;
    req.set_campaign_id(std::move(id));
    req.set_approver(std::move(approver));
    v1::Campaign out;
    return campaigns_->ApproveCampaign(Ctx().get(), req, &out);
  }

  void ApprovedCampaign(std::string id, v1::CampaignKind kind) {
    ASSERT_TRUE(CreateCampaign(id, kind).ok());
    ASSERT_TRUE(Approve(id).ok());
  }

  v1::Decision CheckInsert(std::string customer, std::string campaign,
                           grpc::Status* status = nullptr) {
    v1::CheckInsertRequest req;
    req.set_customer_id(std::move(customer));
    req.set_campaign_id(std::move(campaign));
    req.set_print_run_id("run-2026-05");
    req.set_document_id("doc-1");
    v1::Decision d;
    grpc::Status s = insert_->CheckInsert(Ctx().get(), req, &d);
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return d;
  }

  v1::CheckDialResponse CheckDial(std::string phone, std::string campaign,
                                  std::string customer = "",
                                  grpc::Status* status = nullptr) {
    v1::CheckDialRequest req;
    req.set_phone_number(std::move(phone));
    req.set_campaign_id(std::move(campaign));
    req.set_customer_id(std::move(customer));
    req.set_agent_id("agent-7");
    v1::CheckDialResponse r;
    grpc::Status s = dial_->CheckDial(Ctx().get(), req, &r);
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return r;
  }

  // The raw HealthCheckResponse for service "": "\x08\x01" is SERVING,
  // "\x08\x02" NOT_SERVING.
  std::string HealthCheck() {
    grpc::GenericStub stub(daemon_->Channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    grpc::Slice empty(std::string{});  // HealthCheckRequest{service: ""}
    grpc::ByteBuffer request(&empty, 1);
    std::promise<grpc::Status> done;
    grpc::ByteBuffer response;
    stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                   &request, &response,
                   [&](grpc::Status st) { done.set_value(st); });
    grpc::Status status = done.get_future().get();
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) return "";
    std::string raw;
    for (const auto& sl : slices) {
      raw.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    }
    return raw;
  }

  // With `expand`, print batches carry all their documents (member_json).
  std::vector<v1::AuditEntry> QueryAudit(std::string customer = "",
                                         bool expand = false) {
    v1::QueryAuditRequest req;
    req.set_limit(100000);
    req.set_customer_id(std::move(customer));
    req.set_expand_print_batches(expand);
    auto ctx = Ctx();
    auto reader = audit_->QueryAudit(ctx.get(), req);
    std::vector<v1::AuditEntry> out;
    v1::AuditEntry e;
    while (reader->Read(&e)) out.push_back(e);
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }

  v1::VerifyAuditResponse Verify() {
    v1::VerifyAuditResponse r;
    EXPECT_TRUE(audit_->VerifyAudit(Ctx().get(), {}, &r).ok());
    return r;
  }

  static std::vector<v1::Reason> ReasonsOf(const v1::Decision& d) {
    std::vector<v1::Reason> out;
    for (int r : d.reasons()) out.push_back(static_cast<v1::Reason>(r));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::ConsentService::Stub> consents_;
  std::unique_ptr<v1::CampaignService::Stub> campaigns_;
  std::unique_ptr<v1::InsertGate::Stub> insert_;
  std::unique_ptr<v1::DialGate::Stub> dial_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

using ReasonList = std::vector<v1::Reason>;

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_DAEMON_FIXTURE_H_

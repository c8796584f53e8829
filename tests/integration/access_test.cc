// Authentication and roles end to end (README, "Security"): the real daemon
// with principals configured, real clients over plaintext loopback, TLS and
// mutual TLS with certificates made by the test.
//
// The role matrix runs every RPC the daemon serves as every role, one test
// per cell, against one daemon; this executable is one ctest entry.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "clients/common/channel.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/campaign_service.grpc.pb.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/served_methods.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace gatekeeper::testing {
namespace {

using clients::ChannelSecurity;
using clients::OpenChannel;
using clients::TokenSha256;
using namespace std::chrono_literals;

const std::vector<std::string> kRoles = {
    "print_shop", "dialer",  "consent_writer", "campaign_editor",
    "compliance", "auditor", "admin"};

// The roles that may call a method, as the issue states them; admin may call
// everything. Campaigns may be read by those who write, approve or audit
// them.
std::set<std::string> ExpectedRoles(const std::string& method) {
  const auto slash = method.rfind('/');
  const std::string service = method.substr(1, slash - 1);
  const std::string name = method.substr(slash + 1);
  std::set<std::string> roles = {"admin"};
  if (service == "gatekeeper.v1.InsertGate") roles.insert("print_shop");
  if (service == "gatekeeper.v1.DialGate") roles.insert("dialer");
  if (service == "gatekeeper.v1.AuditService") roles.insert("auditor");
  if (name == "RecordConsent" || name == "WithdrawConsent" ||
      name == "ImportConsents") {
    roles.insert("consent_writer");
  }
  if (name == "ListConsents" || name == "ListDoNotSolicit" ||
      name == "ExportConsents") {
    roles.insert("auditor");
  }
  if (name == "CreateCampaign" || name == "RetireCampaign") {
    roles.insert("campaign_editor");
  }
  if (name == "ApproveCampaign" || name == "ClearDoNotSolicit" ||
      name == "SubjectReport") {
    roles.insert("compliance");
  }
  if (name == "GetCampaign" || name == "ListCampaigns") {
    roles.insert({"campaign_editor", "compliance", "auditor"});
  }
  return roles;
}

std::string TokenOf(const std::string& role) { return "gkt_test_" + role; }
std::string PrincipalOf(const std::string& role) { return role + "-svc"; }

// One principal per role, each with a bearer token.
std::string PrincipalsYaml() {
  std::string yaml = "principals:\n";
  for (const std::string& role : kRoles) {
    yaml += "  - {name: " + PrincipalOf(role) +
            ", token_sha256: " + TokenSha256(TokenOf(role)) + ", roles: [" +
            role + "]}\n";
  }
  return yaml;
}

std::string WriteToken(const std::filesystem::path& dir,
                       const std::string& token) {
  const auto path =
      dir / ("token-" + std::to_string(std::hash<std::string>{}(token)));
  { std::ofstream(path) << token << "\n"; }
  ::chmod(path.c_str(), 0600);
  return path.string();
}

// Calls `method` with one empty request message, whatever its kind (unary or
// streaming), reads every response, and returns the status.
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& method,
                       std::chrono::milliseconds deadline = 2s,
                       const std::string& authorization = "") {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&ctx, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto wait = [&] { return cq.Next(&tag, &ok) && ok; };
  call->StartCall(&ctx);
  wait();
  grpc::Slice empty(static_cast<const void*>(""), 0);
  grpc::ByteBuffer request(&empty, 1);
  call->Write(request, &ctx);
  wait();
  call->WritesDone(&ctx);
  wait();
  grpc::ByteBuffer response;
  for (;;) {
    call->Read(&response, &ctx);
    if (!wait()) break;
  }
  grpc::Status status;
  call->Finish(&status, &ctx);
  wait();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// ---- The role matrix: one daemon for all its cells ----

struct Cell {
  std::string method;
  std::string role;
};

void PrintTo(const Cell& cell, std::ostream* os) {
  *os << cell.method << " as " << cell.role;
}

std::vector<Cell> Cells() {
  std::vector<Cell> cells;
  for (const std::string& m : ServedMethods()) {
    for (const std::string& r : kRoles) cells.push_back({m, r});
  }
  return cells;
}

class RoleMatrixTest : public ::testing::TestWithParam<Cell> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    DaemonOptions options;
    options.extra_yaml = PrincipalsYaml();
    daemon_ = new DaemonProcess(dir_->path() / "var", options);
    ASSERT_TRUE(daemon_->Start()) << daemon_->error();
    channels_ = new std::map<std::string, std::shared_ptr<grpc::Channel>>();
    for (const std::string& role : kRoles) {
      ChannelSecurity sec;
      sec.token_file = WriteToken(dir_->path(), TokenOf(role));
      std::string error;
      auto ch = OpenChannel(daemon_->address(), sec, grpc::ChannelArguments(),
                            &error);
      ASSERT_NE(ch, nullptr) << error;
      (*channels_)[role] = ch;
    }
  }
  static void TearDownTestSuite() {
    delete channels_;
    channels_ = nullptr;
    if (daemon_ != nullptr) daemon_->Stop();
    delete daemon_;
    daemon_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  static DaemonProcess* daemon_;
  static std::map<std::string, std::shared_ptr<grpc::Channel>>* channels_;
};
TempDir* RoleMatrixTest::dir_ = nullptr;
DaemonProcess* RoleMatrixTest::daemon_ = nullptr;
std::map<std::string, std::shared_ptr<grpc::Channel>>*
    RoleMatrixTest::channels_ = nullptr;

TEST_P(RoleMatrixTest, AllowedOrPermissionDenied) {
  ASSERT_NE(channels_, nullptr);
  const Cell& cell = GetParam();
  const bool allowed = ExpectedRoles(cell.method).count(cell.role) == 1;
  // A long-running watch is allowed when it outlives a short deadline.
  const grpc::Status s =
      CallEmpty(channels_->at(cell.role), cell.method, allowed ? 2s : 10s);
  if (allowed) {
    EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << s.error_message();
    EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << s.error_message();
  } else {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << s.error_code() << " " << s.error_message();
    EXPECT_NE(s.error_message().find("principal " + PrincipalOf(cell.role)),
              std::string::npos)
        << s.error_message();
    EXPECT_NE(s.error_message().find(cell.method.substr(1)), std::string::npos)
        << s.error_message();
  }
}

std::string CellName(const ::testing::TestParamInfo<Cell>& info) {
  std::string name = info.param.method.substr(1) + "__" + info.param.role;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryRpcAndRole, RoleMatrixTest,
                         ::testing::ValuesIn(Cells()), CellName);

TEST(RoleMatrixShapeTest, EveryServedMethodIsInTheMatrix) {
  // 28 RPCs when this was written; a new one joins the matrix by itself.
  EXPECT_GE(ServedMethods().size(), 28u);
}

// ---- Tokens, denials and their log, on one daemon per test ----

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DaemonOptions options;
    options.extra_yaml = PrincipalsYaml();
    daemon_ = std::make_unique<DaemonProcess>(dir_.path() / "var", options);
    ASSERT_TRUE(daemon_->Start()) << daemon_->error();
  }
  std::shared_ptr<grpc::Channel> As(const std::string& role) {
    ChannelSecurity sec;
    sec.token_file = WriteToken(dir_.path(), TokenOf(role));
    std::string error;
    auto ch =
        OpenChannel(daemon_->address(), sec, grpc::ChannelArguments(), &error);
    EXPECT_NE(ch, nullptr) << error;
    return ch;
  }
  // The access.denied entries of the log, read as the auditor.
  std::vector<v1::AccessDeniedPayload> Denials() {
    auto stub = v1::AuditService::NewStub(As("auditor"));
    grpc::ClientContext ctx;
    v1::QueryAuditRequest req;
    req.set_limit(10000);
    auto reader = stub->QueryAudit(&ctx, req);
    std::vector<v1::AccessDeniedPayload> out;
    v1::AuditEntry e;
    while (reader->Read(&e)) {
      if (e.kind() != "access.denied") continue;
      v1::AccessDeniedPayload p;
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(e.payload_json(), &p)
              .ok());
      EXPECT_EQ(e.actor(), p.principal());
      out.push_back(p);
    }
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }
  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
};

constexpr char kVerify[] = "/gatekeeper.v1.AuditService/VerifyAudit";
constexpr char kRecord[] = "/gatekeeper.v1.ConsentService/RecordConsent";

TEST_F(AccessTest, AGoodTokenIsItsPrincipal) {
  EXPECT_TRUE(
      CallEmpty(daemon_->Channel(), kVerify, 5s, "Bearer " + TokenOf("auditor"))
          .ok());
}

TEST_F(AccessTest, AWrongTokenIsUnauthenticated) {
  const grpc::Status s = CallEmpty(daemon_->Channel(), kVerify, 5s,
                                   "Bearer " + TokenOf("auditor") + "x");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(),
            "the bearer token is not a configured principal's");
}

TEST_F(AccessTest, NoCredentialsAreUnauthenticated) {
  const grpc::Status s = CallEmpty(daemon_->Channel(), kVerify, 5s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("no credentials"), std::string::npos)
      << s.error_message();
}

TEST_F(AccessTest, AMalformedAuthorizationIsUnauthenticated) {
  const std::vector<std::string> values = {
      "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer " + TokenOf("admin"),
      TokenOf("admin")};
  for (const std::string& value : values) {
    const grpc::Status s = CallEmpty(daemon_->Channel(), kVerify, 5s, value);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << value;
  }
}

TEST_F(AccessTest, HealthNeedsNoCredentials) {
  const grpc::Status s =
      CallEmpty(daemon_->Channel(), "/grpc.health.v1.Health/Check", 5s);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(AccessTest, ADenialIsLoggedWithThePrincipalAndTheMethod) {
  const grpc::Status s = CallEmpty(As("print_shop"), kRecord, 5s);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(),
            "principal print_shop-svc (print_shop) may not call "
            "gatekeeper.v1.ConsentService/RecordConsent: it needs one of the "
            "roles consent_writer, admin");
  ASSERT_EQ(CallEmpty(daemon_->Channel(), kVerify, 5s).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const auto denials = Denials();
  ASSERT_EQ(denials.size(), 2u);
  EXPECT_EQ(denials[0].principal(), "print_shop-svc");
  EXPECT_EQ(denials[0].method(), kRecord);
  EXPECT_EQ(denials[0].code(), "PERMISSION_DENIED");
  EXPECT_NE(denials[0].peer().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(denials[1].principal(), "");
  EXPECT_EQ(denials[1].method(), kVerify);
  EXPECT_EQ(denials[1].code(), "UNAUTHENTICATED");
  // The log with its denials still verifies.
  auto audit = v1::AuditService::NewStub(As("auditor"));
  grpc::ClientContext ctx;
  v1::VerifyAuditResponse r;
  ASSERT_TRUE(audit->VerifyAudit(&ctx, {}, &r).ok());
  EXPECT_TRUE(r.ok());
}

TEST_F(AccessTest, AFloodOfDenialsIsLoggedAFewTimesAndCounted) {
  auto shop = As("print_shop");
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(CallEmpty(shop, kRecord, 5s).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Another principal's denial is still logged.
  ASSERT_EQ(CallEmpty(As("dialer"), kRecord, 5s).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const auto denials = Denials();
  int shop_entries = 0, dialer_entries = 0;
  for (const auto& d : denials) {
    shop_entries += d.principal() == "print_shop-svc";
    dialer_entries += d.principal() == "dialer-svc";
  }
  EXPECT_EQ(shop_entries, 5);
  EXPECT_EQ(dialer_entries, 1);
}

// ---- Who a request names ----

v1::CreateCampaignRequest CallCampaign(const std::string& id,
                                       const std::string& actor) {
  v1::CreateCampaignRequest req;
  req.set_actor(actor);
  v1::Campaign* c = req.mutable_campaign();
  c->set_campaign_id(id);
  c->set_kind(v1::CAMPAIGN_KIND_CALL);
  c->set_company_id("hikari-net");
  c->set_goods_type("光回線サービス");
  c->set_regime(v1::REGIME_TOKUSHOHO);
  const auto now = std::chrono::system_clock::now();
  c->mutable_starts_at()->set_seconds(
      std::chrono::system_clock::to_time_t(now - 24h));
  c->mutable_ends_at()->set_seconds(
      std::chrono::system_clock::to_time_t(now + 24h * 30));
  return req;
}

grpc::Status Create(const std::shared_ptr<grpc::Channel>& ch,
                    const std::string& id, const std::string& actor) {
  grpc::ClientContext ctx;
  v1::Campaign out;
  return v1::CampaignService::NewStub(ch)->CreateCampaign(
      &ctx, CallCampaign(id, actor), &out);
}

grpc::Status Approve(const std::shared_ptr<grpc::Channel>& ch,
                     const std::string& id, const std::string& approver) {
  grpc::ClientContext ctx;
  v1::ApproveCampaignRequest req;
  req.set_campaign_id(id);
  req.set_approver(approver);
  v1::Campaign out;
  return v1::CampaignService::NewStub(ch)->ApproveCampaign(&ctx, req, &out);
}

TEST_F(AccessTest, ARequestNamingAnotherActorIsPermissionDeniedAndLogged) {
  const grpc::Status s = Create(As("campaign_editor"), "k1", "alice");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(),
            "actor: principal campaign_editor-svc (campaign_editor) may not "
            "name \"alice\": a request names its caller, and only dialer, "
            "consent_writer, admin act for others");
  const auto denials = Denials();
  ASSERT_EQ(denials.size(), 1u);
  EXPECT_EQ(denials[0].principal(), "campaign_editor-svc");
  EXPECT_EQ(denials[0].method(),
            "/gatekeeper.v1.CampaignService/CreateCampaign");
  EXPECT_EQ(denials[0].detail(), s.error_message());

  // Naming itself, the editor creates it; the approver must name itself.
  ASSERT_TRUE(Create(As("campaign_editor"), "k1", "campaign_editor-svc").ok());
  EXPECT_EQ(Approve(As("compliance"), "k1", "bob").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status ok = Approve(As("compliance"), "k1", "compliance-svc");
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

TEST_F(AccessTest, TwoPersonApprovalComparesPrincipalsNotNames) {
  // An admin acts for anyone, so the names alone would pass.
  ASSERT_TRUE(Create(As("admin"), "k1", "alice").ok());
  const grpc::Status self = Approve(As("admin"), "k1", "bob");
  EXPECT_EQ(self.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(self.error_message(),
            "approver: principal admin-svc created campaign k1; a second "
            "principal must approve it");
  const grpc::Status other = Approve(As("compliance"), "k1", "compliance-svc");
  EXPECT_TRUE(other.ok()) << other.error_message();
}

TEST_F(AccessTest, ADialerNamesItsAgents) {
  grpc::ClientContext ctx;
  v1::CheckDialRequest req;
  req.set_phone_number("090-1234-5678");
  req.set_campaign_id("no-such-campaign");
  req.set_agent_id("agent-007");
  v1::CheckDialResponse resp;
  const grpc::Status s =
      v1::DialGate::NewStub(As("dialer"))->CheckDial(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.decision().verdict(), v1::VERDICT_BLOCK);
}

// Opens print run `run_id` as `actor` and closes it at once; the status.
grpc::Status OpenAndCloseRun(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& run_id,
                             const std::string& actor) {
  auto stub = v1::InsertGate::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->CheckInsertBatch(&ctx);
  v1::InsertBatchRequest open;
  open.mutable_open()->set_print_run_id(run_id);
  open.mutable_open()->set_actor(actor);
  stream->Write(open);
  v1::InsertBatchRequest close;
  close.mutable_close();
  stream->Write(close);
  stream->WritesDone();
  v1::InsertBatchResponse r;
  while (stream->Read(&r)) {
  }
  return stream->Finish();
}

TEST_F(AccessTest, APrintRunOpenedForAnotherActorIsPermissionDenied) {
  for (const std::string actor : {"mallory", "print_shop-svc"}) {
    const grpc::Status s =
        OpenAndCloseRun(As("print_shop"), "run-" + actor, actor);
    if (actor == "mallory") {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      EXPECT_EQ(s.error_message().rfind(
                    "actor: principal print_shop-svc (print_shop) may not "
                    "name \"mallory\"",
                    0),
                0u)
          << s.error_message();
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
  }
}

TEST_F(AccessTest, AnEmptyPrintRunActorIsTheCallersPrincipal) {
  const grpc::Status s = OpenAndCloseRun(As("print_shop"), "run-1", "");
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto audit = v1::AuditService::NewStub(As("auditor"));
  grpc::ClientContext qctx;
  auto reader = audit->QueryAudit(&qctx, {});
  v1::AuditEntry e;
  std::string actor = "(no print.opened entry)";
  while (reader->Read(&e)) {
    if (e.kind() == "print.opened") actor = e.actor();
  }
  EXPECT_EQ(actor, "print_shop-svc");
}

// ---- Limits ----

TEST(LimitsTest, APrincipalOverItsRateWaitsAndIsThenServedAgain) {
  TempDir dir;
  DaemonOptions options;
  options.extra_yaml = PrincipalsYaml() + "limits: {rate_per_principal: 2}\n";
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  const std::string auditor = "Bearer " + TokenOf("auditor");
  ASSERT_TRUE(CallEmpty(daemon.Channel(), kVerify, 5s, auditor).ok());
  ASSERT_TRUE(CallEmpty(daemon.Channel(), kVerify, 5s, auditor).ok());
  const grpc::Status over = CallEmpty(daemon.Channel(), kVerify, 5s, auditor);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(over.error_message().find(
                "principal auditor-svc is over limits.rate_per_principal (2 "
                "calls a second); retry in "),
            std::string::npos)
      << over.error_message();
  // Another principal has its own allowance.
  EXPECT_NE(CallEmpty(daemon.Channel(), kRecord, 5s,
                      "Bearer " + TokenOf("consent_writer"))
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Recovered after the wait.
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(CallEmpty(daemon.Channel(), kVerify, 5s, auditor).ok());
  // The refusal is in the log.
  auto audit = v1::AuditService::NewStub(daemon.Channel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", auditor);
  auto reader = audit->QueryAudit(&ctx, {});
  v1::AuditEntry e;
  int exhausted = 0;
  while (reader->Read(&e)) {
    exhausted +=
        e.kind() == "access.denied" &&
        e.payload_json().find("RESOURCE_EXHAUSTED") != std::string::npos;
  }
  EXPECT_EQ(exhausted, 1);
}

TEST(LimitsTest, AMessageOverMaxMessageBytesIsRefused) {
  TempDir dir;
  DaemonOptions options;
  options.extra_yaml = "limits: {max_message_bytes: 65536}\n";
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  auto stub = v1::ConsentService::NewStub(daemon.Channel());
  v1::RecordConsentRequest req;
  req.set_evidence_ref(std::string(100'000, 'x'));
  grpc::ClientContext ctx;
  v1::ConsentRecord out;
  const grpc::Status s = stub->RecordConsent(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  // A small one gets through to validation.
  req.set_evidence_ref("ev-1");
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub->RecordConsent(&ctx2, req, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(LimitsTest, AMessageOverMaxBatchItemsIsInvalidAndNamesTheLimit) {
  TempDir dir;
  DaemonOptions options;
  options.extra_yaml = "limits: {max_batch_items: 2}\n";
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  auto stub = v1::ConsentService::NewStub(daemon.Channel());
  grpc::ClientContext ctx;
  v1::ImportConsentsResponse resp;
  auto writer = stub->ImportConsents(&ctx, &resp);
  v1::ImportConsentsRequest msg;
  for (int i = 0; i < 3; ++i)
    msg.add_consents()->set_request_id("r" + std::to_string(i));
  writer->Write(msg);
  writer->WritesDone();
  const grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find(
                "at most 2 rows a message (limits.max_batch_items"),
            std::string::npos)
      << s.error_message();
}

TEST(LimitsTest, APrincipalHoldsAtMostMaxStreamsAndGetsThemBack) {
  TempDir dir;
  DaemonOptions options;
  options.extra_yaml =
      PrincipalsYaml() + "limits: {max_streams_per_principal: 1}\n";
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  const std::string auditor = "Bearer " + TokenOf("auditor");
  constexpr char kExport[] = "/gatekeeper.v1.ConsentService/ExportConsents";
  // Polls a short stream of the auditor's until its status is or is not
  // RESOURCE_EXHAUSTED, for up to ten seconds.
  auto until = [&](bool exhausted) {
    for (int i = 0; i < 200; ++i) {
      const grpc::Status s = CallEmpty(daemon.Channel(), kExport, 5s, auditor);
      if ((s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ==
          exhausted) {
        return s;
      }
      std::this_thread::sleep_for(50ms);
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "never");
  };
  // A watch holds the auditor's one stream while it runs.
  auto audit = v1::AuditService::NewStub(daemon.Channel());
  grpc::ClientContext watch_ctx;
  watch_ctx.AddMetadata("authorization", auditor);
  auto watch = audit->WatchAudit(&watch_ctx, {});
  const grpc::Status full = until(true);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(full.error_message(),
            "principal auditor-svc already holds 1 open streams "
            "(limits.max_streams_per_principal); close one first");
  // Another principal's streams are its own.
  EXPECT_NE(
      CallEmpty(daemon.Channel(), kExport, 5s, "Bearer " + TokenOf("admin"))
          .error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The watch ends: the stream is given back.
  watch_ctx.TryCancel();
  v1::AuditEntry e;
  while (watch->Read(&e)) {
  }
  (void)watch->Finish();
  EXPECT_NE(until(false).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(LimitsTest, ACallWithoutADeadlineIsCancelledAfterTheDefaultOne) {
  TempDir dir;
  DaemonOptions options;
  options.extra_yaml = PrincipalsYaml() +
                       "limits: {default_deadline_ms: 1000, "
                       "max_streams_per_principal: 1}\n";
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  const std::string writer = "Bearer " + TokenOf("consent_writer");
  const std::string auditor = "Bearer " + TokenOf("auditor");
  auto consents = v1::ConsentService::NewStub(daemon.Channel());
  auto audit = v1::AuditService::NewStub(daemon.Channel());

  // A watch, which carries no deadline either, is a subscription: exempt.
  grpc::ClientContext watch_ctx;
  watch_ctx.AddMetadata("authorization", auditor);
  auto watch = audit->WatchAudit(&watch_ctx, {});

  // An import opened without a deadline and left silent.
  const auto opened = std::chrono::steady_clock::now();
  grpc::ClientContext silent_ctx;
  silent_ctx.AddMetadata("authorization", writer);
  v1::ImportConsentsResponse silent_resp;
  auto silent = consents->ImportConsents(&silent_ctx, &silent_resp);
  const grpc::Status cut = silent->Finish();
  const auto after = std::chrono::steady_clock::now() - opened;
  EXPECT_EQ(cut.error_code(), grpc::StatusCode::CANCELLED)
      << cut.error_message();
  EXPECT_GE(after, 900ms);
  EXPECT_LT(after, 5s);

  // Its stream came back; a call with its own, longer deadline keeps it.
  grpc::ClientContext own_ctx;
  own_ctx.AddMetadata("authorization", writer);
  own_ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::ImportConsentsResponse own_resp;
  auto own = consents->ImportConsents(&own_ctx, &own_resp);
  std::this_thread::sleep_for(1500ms);
  own->WritesDone();
  const grpc::Status kept = own->Finish();
  EXPECT_TRUE(kept.ok()) << kept.error_code() << " " << kept.error_message();

  // The watch is still there: it sees the next entry (a refusal's).
  EXPECT_EQ(CallEmpty(daemon.Channel(), kRecord, 5s, auditor).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AuditEntry e;
  ASSERT_TRUE(watch->Read(&e));
  EXPECT_EQ(e.kind(), "access.denied");
  watch_ctx.TryCancel();
  while (watch->Read(&e)) {
  }
  (void)watch->Finish();
}

// ---- The daemon's own refusals at start ----

TEST(AccessStartTest, PlaintextBeyondLoopbackIsRefusedNamingTheKey) {
  TempDir dir;
  const auto cfg = dir.path() / "gk.yaml";
  {
    std::ifstream base(GATEKEEPER_SOURCE_DIR "/config/gatekeeper.example.yaml");
    std::string text((std::istreambuf_iterator<char>(base)), {});
    const auto at = text.find("listen: \"127.0.0.1:50051\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 25, "listen: \"0.0.0.0:50051\"");
    text += "\n" + PrincipalsYaml();
    std::ofstream(cfg) << text;
  }
  const RunResult r = RunGatekeeperd({"--config", cfg.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("listen: plaintext is allowed only on a loopback "
                       "address"),
            std::string::npos)
      << r.err;
}

// ---- TLS and mutual TLS ----

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : ca_(TestCert::NewCa("Gatekeeper Test CA")) {
    pki_ = dir_.path() / "pki";
    std::filesystem::create_directories(pki_);
    ca_file_ = ca_.WriteCert(pki_, "ca");
    CertOptions server;
    server.common_name = "gatekeeper.test";
    server.subject_alt_names = {"IP:127.0.0.1", "DNS:localhost"};
    const TestCert s = ca_.Issue(server);
    server_cert_ = s.WriteCert(pki_, "server");
    server_key_ = s.WriteKey(pki_, "server");
  }
  bool StartTls(bool mutual, std::string extra = "") {
    DaemonOptions options;
    options.extra_yaml =
        "tls: {cert_file: \"" + server_cert_ + "\", key_file: \"" +
        server_key_ + "\"" +
        (mutual ? ", client_ca_file: \"" + ca_file_ + "\"" : std::string()) +
        "}\n" + PrincipalsYaml() + extra;
    daemon_ = std::make_unique<DaemonProcess>(dir_.path() / "var", options);
    return daemon_->Start();
  }
  // A client certificate of `ca` for `name`, written as NAME.crt/.key.
  ChannelSecurity Client(const TestCert& ca, const std::string& name,
                         long not_before = -3600, long not_after = 86400) {
    CertOptions o;
    o.common_name = name;
    o.subject_alt_names = {"DNS:" + name};
    o.not_before = not_before;
    o.not_after = not_after;
    const TestCert c = ca.Issue(o);
    ChannelSecurity sec;
    sec.tls_ca = ca_file_;
    sec.cert = c.WriteCert(pki_, name);
    sec.key = c.WriteKey(pki_, name);
    return sec;
  }
  grpc::Status Verify(const ChannelSecurity& sec) {
    std::string error;
    auto ch =
        OpenChannel(daemon_->address(), sec, grpc::ChannelArguments(), &error);
    if (ch == nullptr) return grpc::Status(grpc::StatusCode::INTERNAL, error);
    return CallEmpty(ch, kVerify, 5s);
  }
  TempDir dir_;
  std::filesystem::path pki_;
  TestCert ca_;
  std::string ca_file_, server_cert_, server_key_;
  std::unique_ptr<DaemonProcess> daemon_;
};

constexpr char kCertPrincipals[] =
    "  - {name: audit-desk, cert_subject: audit.example.jp, roles: "
    "[auditor]}\n";

TEST_F(TlsTest, ATokenOverTlsIsItsPrincipalAndPlaintextIsRefused) {
  ASSERT_TRUE(StartTls(false)) << daemon_->error();
  ChannelSecurity sec;
  sec.tls_ca = ca_file_;
  sec.token_file = WriteToken(dir_.path(), TokenOf("auditor"));
  EXPECT_TRUE(Verify(sec).ok());
  sec.token_file = WriteToken(dir_.path(), TokenOf("dialer"));
  EXPECT_EQ(Verify(sec).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A plaintext client does not get through a TLS port.
  ChannelSecurity plain;
  plain.token_file = WriteToken(dir_.path(), TokenOf("auditor"));
  EXPECT_EQ(Verify(plain).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AGoodClientCertificateIsItsPrincipal) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  const grpc::Status s = Verify(Client(ca_, "audit.example.jp"));
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
}

TEST_F(TlsTest, ACertificateOfNoPrincipalIsUnauthenticated) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  const grpc::Status s = Verify(Client(ca_, "stranger.example.jp"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("stranger.example.jp"), std::string::npos)
      << s.error_message();
}

TEST_F(TlsTest, AnExpiredClientCertificateIsRefusedInTheHandshake) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  const grpc::Status s =
      Verify(Client(ca_, "audit.example.jp", -2 * 86400, -86400));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(TlsTest, AClientCertificateOfAnotherCaIsRefusedInTheHandshake) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  const TestCert other = TestCert::NewCa("Someone Else's CA");
  const grpc::Status s = Verify(Client(other, "audit.example.jp"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(TlsTest, NoClientCertificateIsRefusedInTheHandshake) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  ChannelSecurity sec;
  sec.tls_ca = ca_file_;
  // Even with a good token: mutual TLS asks for a certificate first.
  sec.token_file = WriteToken(dir_.path(), TokenOf("auditor"));
  EXPECT_EQ(Verify(sec).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AKeyFileReadableByOthersKeepsTheDaemonFromStarting) {
  ::chmod(server_key_.c_str(), 0640);
  ASSERT_FALSE(StartTls(false));
  const std::string err = daemon_->Stderr() + daemon_->error();
  EXPECT_NE(err.find("tls.key_file: " + server_key_ +
                     " is readable by group or others; chmod 600 it"),
            std::string::npos)
      << err;
}

TEST_F(TlsTest, GkctlTakesTheCaTheCertificateTheKeyAndTheTokenFile) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  const ChannelSecurity sec = Client(ca_, "audit.example.jp");
  const ChildResult ok = RunChild({GKCTL_PATH, "--target", daemon_->address(),
                                   "--tls-ca", sec.tls_ca, "--cert", sec.cert,
                                   "--key", sec.key, "audit", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  // Without its certificate it cannot connect, and says so in a line.
  const ChildResult no_cert = RunChild(
      {GKCTL_PATH, "--target", daemon_->address(), "--tls-ca", sec.tls_ca,
       "--token-file", WriteToken(dir_.path(), TokenOf("auditor")), "audit",
       "verify"});
  EXPECT_NE(no_cert.exit_code, 0);
  EXPECT_NE(no_cert.err.find("UNAVAILABLE: "), std::string::npos)
      << no_cert.err;
  EXPECT_NE(no_cert.err.find("with TLS, check --tls-ca, --cert and --key"),
            std::string::npos)
      << no_cert.err;
  // A key file readable by others is refused before connecting.
  ::chmod(sec.key.c_str(), 0644);
  const ChildResult open_key = RunChild(
      {GKCTL_PATH, "--target", daemon_->address(), "--tls-ca", sec.tls_ca,
       "--cert", sec.cert, "--key", sec.key, "audit", "verify"});
  EXPECT_NE(open_key.exit_code, 0);
  EXPECT_NE(open_key.err.find("--key: "), std::string::npos) << open_key.err;
}

TEST_F(TlsTest, GkDialHookTakesTheSameOptions) {
  ASSERT_TRUE(StartTls(false)) << daemon_->error();
  const std::string token = WriteToken(dir_.path(), TokenOf("dialer"));
  const std::vector<std::string> check = {
      "check",   "--phone",  "090-1234-5678", "--campaign", "no-such-campaign",
      "--agent", "agent-007"};
  auto hook = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = {GK_DIAL_HOOK_PATH, "--target",
                                     daemon_->address()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), check.begin(), check.end());
    return RunChild(argv);
  };
  // The daemon answers: BLOCK (no such campaign), exit 1.
  const ChildResult ok = hook({"--tls-ca", ca_file_, "--token-file", token});
  EXPECT_EQ(ok.exit_code, 1) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("BLOCK"), std::string::npos) << ok.out;
  // Without the token: refused, an error (exit 2), fail closed.
  const ChildResult no_token = hook({"--tls-ca", ca_file_});
  EXPECT_EQ(no_token.exit_code, 2) << no_token.out << no_token.err;
  EXPECT_NE(no_token.out.find("UNAUTHENTICATED") +
                no_token.err.find("UNAUTHENTICATED"),
            2 * std::string::npos)
      << no_token.out << no_token.err;
  // A token file readable by others is refused before any call.
  ::chmod(token.c_str(), 0644);
  const ChildResult open_token =
      hook({"--tls-ca", ca_file_, "--token-file", token});
  EXPECT_EQ(open_token.exit_code, 2);
  EXPECT_NE(open_token.err.find("options.token_file: "), std::string::npos)
      << open_token.err;
}

TEST_F(TlsTest, PrintGateTakesTheSameOptions) {
  ASSERT_TRUE(StartTls(true, kCertPrincipals)) << daemon_->error();
  const ChannelSecurity sec = Client(ca_, "audit.example.jp");
  const std::string out = (dir_.path() / "pull.csv").string();
  auto pull = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = {PRINT_GATE_PATH, "--target",
                                     daemon_->address()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    for (const char* a : {"pull-list", "--run-id", "run-1", "--out"}) {
      argv.push_back(a);
    }
    argv.push_back(out);
    return RunChild(argv);
  };
  // The certificate is the auditor's: it gets through TLS and is refused
  // by role, which shows the options reached the daemon.
  const ChildResult r =
      pull({"--tls-ca", sec.tls_ca, "--cert", sec.cert, "--key", sec.key});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("PERMISSION_DENIED"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("principal audit-desk (auditor)"), std::string::npos)
      << r.err;
  // Without a certificate the handshake fails.
  const ChildResult none = pull({"--tls-ca", sec.tls_ca});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("UNAVAILABLE"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("with TLS, check --tls-ca, --cert and --key"),
            std::string::npos)
      << none.err;
}

}  // namespace
}  // namespace gatekeeper::testing

// The dialer hook end to end: libgkdial's C API, the gk-dial-hook command
// line and its Asterisk AGI mode, against the real gatekeeperd on a free
// loopback port with a temp data_dir (consents and campaigns are set up over
// gRPC with gk_proto's stubs, in the same process as libgkdial: that also
// checks that the library's private protobuf copy coexists with gk_proto's).
//
// The ReportDisclosure and ReportOutcome tests follow the contract in
// dial_gate.proto; a daemon that does not implement those RPCs yet answers
// UNIMPLEMENTED and fails them.
#include <arpa/inet.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gatekeeper/v1/campaign_service.grpc.pb.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"
#include "gk_dial.h"
#include "tests/testing/child_process.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/unresponsive.h"

namespace gatekeeper {
namespace {

using google::protobuf::util::TimeUtil;
using testing::ChildOptions;
using testing::ChildProcess;
using testing::ChildResult;
using testing::DaemonOptions;
using testing::DaemonProcess;
using testing::RefusingPort;
using testing::Stopped;

constexpr char kCampaign[] = "hikari-call-2026-12";
constexpr char kPhone[] = "090-1234-5678";  // the consented number
constexpr char kPhoneDigits[] = "09012345678";
constexpr char kOtherPhone[] = "090-8765-4321";
constexpr char kCustomer[] = "C-1001";
constexpr char kAgent[] = "tanaka";
constexpr char kSeller[] = "ひかりネット株式会社";
// The daemon being written blocks outside the calling hours (default
// 09:00-20:00 at +09:00): tests must not depend on the time of day.
constexpr char kAllDayYaml[] =
    "calling_hours: {start: \"00:00\", end: \"24:00\"}\n";

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
  return ctx;
}

google::protobuf::Timestamp DaysFromNow(int days) {
  return TimeUtil::SecondsToTimestamp(::time(nullptr) + days * 86400LL);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct HandleCloser {
  void operator()(gk_dial* h) const { gk_dial_close(h); }
};
using Handle = std::unique_ptr<gk_dial, HandleCloser>;
struct ResultFree {
  void operator()(gk_result* r) const { gk_result_free(r); }
};
using Result = std::unique_ptr<gk_result, ResultFree>;

Handle Open(const std::string& target, int timeout_ms) {
  gk_dial_options o;
  gk_dial_options_init(&o, sizeof o);
  o.target = target.c_str();
  o.timeout_ms = timeout_ms;
  gk_dial* h = nullptr;
  const char* message = nullptr;
  EXPECT_EQ(gk_dial_open(&o, &h, &message), GK_OK) << message;
  return Handle(h);
}

Result Check(gk_dial* h, const char* phone, const char* customer = nullptr,
             const char* campaign = kCampaign, const char* agent = kAgent) {
  return Result(gk_dial_check(h, phone, campaign, customer, agent));
}

std::vector<std::string> Reasons(const gk_result* r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < gk_result_reason_count(r); ++i) {
    out.push_back(gk_result_reason(r, i));
  }
  return out;
}

// "DISCLOSURE_ITEM_GOODS_TYPE", "goods type", "goods-type" -> contain
// "goods_type".
bool NamesItem(std::string violation, const std::string& item) {
  for (char& c : violation) {
    c = c == ' ' || c == '-'
            ? '_'
            : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return violation.find(item) != std::string::npos;
}

// Asterisk's res_agi.c parse_args: words split on blanks, double quotes group,
// a backslash takes the next character literally.
std::vector<std::string> ParseAgiCommand(const std::string& line) {
  std::vector<std::string> argv;
  bool quoted = false, escaped = false, whitespace = true;
  for (char c : line) {
    if (c == '"' && !escaped) {
      quoted = !quoted;
      if (quoted && whitespace) {
        argv.emplace_back();
        whitespace = false;
      }
      continue;
    }
    if ((c == ' ' || c == '\t') && !quoted && !escaped) {
      whitespace = true;
      continue;
    }
    if (c == '\\' && !escaped) {
      escaped = true;
      continue;
    }
    if (whitespace) {
      argv.emplace_back();
      whitespace = false;
    }
    argv.back() += c;
    escaped = false;
  }
  return argv;
}

// What a scripted AGI peer saw.
struct AgiRun {
  std::optional<int> exit_code;
  std::vector<std::string> commands;        // every line the hook sent
  std::map<std::string, std::string> vars;  // as set by 200-answered commands
  std::vector<std::string> set_order;       // variable names, in order
  std::string err;
};

// The environment Asterisk writes before an AGI script's first command.
std::string AgiEnvironment(const std::string& extension,
                           const std::vector<std::string>& args) {
  std::string env =
      "agi_request: gk-check-hikari-call\n"
      "agi_channel: Local/09012345678@outbound-00000001;2\n"
      "agi_language: ja\n"
      "agi_type: Local\n"
      "agi_uniqueid: 1764547200.17\n"
      "agi_version: 20.5.0\n"
      "agi_callerid: unknown\n"
      "agi_calleridname: unknown\n"
      "agi_callingpres: 0\n"
      "agi_callingani2: 0\n"
      "agi_callington: 0\n"
      "agi_callingtns: 0\n"
      "agi_dnid: unknown\n"
      "agi_rdnis: unknown\n"
      "agi_context: outbound\n"
      "agi_extension: " +
      extension +
      "\n"
      "agi_priority: 1\n"
      "agi_enhanced: 0.0\n"
      "agi_accountcode: \n"
      "agi_threadid: 140234\n";
  for (size_t i = 0; i < args.size(); ++i) {
    env += "agi_arg_" + std::to_string(i + 1) + ": " + args[i] + "\n";
  }
  return env + "\n";
}

class DialHookTest : public ::testing::Test {
 protected:
  static std::string HookPath() { return GK_DIAL_HOOK_PATH; }

  // Appended to the daemon's config (after the all-day calling hours).
  virtual std::string ExtraYaml() const { return ""; }

  void SetUp() override {
    DaemonOptions options;
    options.extra_yaml = std::string(kAllDayYaml) + ExtraYaml();
    daemon_ = std::make_unique<DaemonProcess>(dir_.path() / "var", options);
    ASSERT_TRUE(daemon_->Start()) << daemon_->error();
    auto ch = daemon_->Channel();
    consents_ = v1::ConsentService::NewStub(ch);
    campaigns_ = v1::CampaignService::NewStub(ch);
    ASSERT_NO_FATAL_FAILURE(RecordTelemarketingConsent());
    ASSERT_NO_FATAL_FAILURE(ApprovedCallCampaign(kCampaign));
    handle_ = Open(daemon_->address(), 10000);
    ASSERT_NE(handle_, nullptr);
  }

  // C-1001 agreed on a recorded call (notice tm-2026-04) that hikari-net may
  // call 090-1234-5678.
  void RecordTelemarketingConsent() {
    v1::RecordConsentRequest r;
    r.set_customer_id(kCustomer);
    r.set_purpose(v1::PURPOSE_TELEMARKETING);
    r.set_company_id("hikari-net");
    r.set_phone_number(kPhone);
    r.set_notice_id("tm-2026-04");
    r.set_channel(v1::CONSENT_CHANNEL_RECORDED_CALL);
    r.set_evidence_ref("rec-2026-0456");
    r.set_collected_by("cc-agent-12");
    *r.mutable_collected_at() = DaysFromNow(-1);
    v1::ConsentRecord out;
    const grpc::Status s = consents_->RecordConsent(Ctx().get(), r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // A CALL campaign under 特定商取引法, created by alice, approved by bob.
  void ApprovedCallCampaign(const std::string& id) {
    v1::CreateCampaignRequest req;
    req.set_actor("alice");
    v1::Campaign* c = req.mutable_campaign();
    c->set_campaign_id(id);
    c->set_kind(v1::CAMPAIGN_KIND_CALL);
    c->set_company_id("hikari-net");
    c->set_goods_type("光回線サービス");
    c->set_regime(v1::REGIME_TOKUSHOHO);
    *c->mutable_starts_at() = DaysFromNow(-1);
    *c->mutable_ends_at() = DaysFromNow(30);
    v1::Campaign out;
    grpc::Status s = campaigns_->CreateCampaign(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::ApproveCampaignRequest approve;
    approve.set_campaign_id(id);
    approve.set_approver("bob");
    s = campaigns_->ApproveCampaign(Ctx().get(), approve, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // An ALLOWed decision for the consented number; its id.
  std::string AllowedDecision() {
    Result r = Check(handle_.get(), kPhone);
    EXPECT_EQ(gk_result_error(r.get()), GK_OK)
        << gk_result_error_message(r.get());
    EXPECT_EQ(gk_result_verdict(r.get()), GK_VERDICT_ALLOW)
        << gk_result_explanation(r.get());
    return gk_result_decision_id(r.get());
  }

  // gk-dial-hook --target <daemon> args...
  ChildResult Hook(std::vector<std::string> args, std::string target = "",
                   ChildOptions options = {}) {
    std::vector<std::string> argv = {
        HookPath(), "--target", target.empty() ? daemon_->address() : target};
    argv.insert(argv.end(), args.begin(), args.end());
    options.env.emplace("GATEKEEPER_TARGET", std::nullopt);
    return testing::RunChild(argv, options);
  }

  // Runs `gk-dial-hook agi` as Asterisk would: writes `environment`, then
  // answers each command with reply(command, index) (default: 200 result=1).
  AgiRun Agi(
      const std::string& environment, std::string target = "",
      std::vector<std::string> extra_args = {},
      std::function<std::string(const std::string&, size_t)> reply = {}) {
    std::vector<std::string> argv = {
        HookPath(),
        "--target",
        target.empty() ? daemon_->address() : target,
        "--timeout-ms",
        "5000",
        "agi",
        "--campaign",
        kCampaign};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    ChildOptions options;
    options.env.emplace("GATEKEEPER_TARGET", std::nullopt);
    ChildProcess child(argv, options);
    AgiRun run;
    if (!child.Start()) {
      ADD_FAILURE() << child.error();
      return run;
    }
    EXPECT_TRUE(child.Write(environment));
    while (auto line = child.ReadLine(std::chrono::seconds(30))) {
      const size_t index = run.commands.size();
      run.commands.push_back(*line);
      const std::string answer =
          reply ? reply(*line, index) : std::string("200 result=1");
      const std::vector<std::string> words = ParseAgiCommand(*line);
      // One variable, one value: exactly four words.
      EXPECT_EQ(words.size(), 4u) << *line;
      if (words.size() == 4 && words[0] == "SET" && words[1] == "VARIABLE" &&
          answer.rfind("200 ", 0) == 0) {
        run.vars[words[2]] = words[3];
        run.set_order.push_back(words[2]);
      }
      if (!child.Write(answer + "\n")) break;
    }
    run.exit_code = child.Wait(std::chrono::seconds(30));
    run.err = child.err();
    return run;
  }

  testing::TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::ConsentService::Stub> consents_;
  std::unique_ptr<v1::CampaignService::Stub> campaigns_;
  Handle handle_;
};

// --- The C library. ---

TEST_F(DialHookTest, LibraryAllowCarriesTheDisclosure) {
  for (const char* phone : {kPhone, "+819012345678", kPhoneDigits}) {
    Result r = Check(handle_.get(), phone, kCustomer);
    ASSERT_EQ(gk_result_error(r.get()), GK_OK)
        << gk_result_error_message(r.get());
    EXPECT_EQ(gk_result_verdict(r.get()), GK_VERDICT_ALLOW) << phone;
    EXPECT_EQ(gk_result_grpc_code(r.get()), 0);
    EXPECT_STREQ(gk_result_error_message(r.get()), "");
    EXPECT_EQ(std::string(gk_result_decision_id(r.get())).rfind("dec_", 0), 0u)
        << gk_result_decision_id(r.get());
    EXPECT_EQ(std::string(gk_result_consent_id(r.get())).rfind("cns_", 0), 0u);
    EXPECT_EQ(Reasons(r.get()), std::vector<std::string>{"CONSENT_ON_RECORD"});
    EXPECT_EQ(gk_result_reason_code(r.get(), 0), GK_REASON_CONSENT_ON_RECORD);
    EXPECT_GT(gk_result_audit_seq(r.get()), 0u);
    EXPECT_NEAR(static_cast<double>(gk_result_decided_at_ms(r.get())),
                static_cast<double>(NowMillis()), 60'000);
    EXPECT_STREQ(gk_result_seller_name(r.get()), kSeller);
    EXPECT_STREQ(gk_result_seller_address(r.get()),
                 "東京都千代田区丸の内1-1-1");
    EXPECT_STREQ(gk_result_seller_phone(r.get()), "0120-000-111");
    EXPECT_STREQ(gk_result_goods_type(r.get()), "光回線サービス");
    EXPECT_STRNE(gk_result_solicitation_statement(r.get()), "");
    EXPECT_STREQ(gk_result_agent(r.get()), kAgent);
    const std::string script = gk_result_script(r.get());
    EXPECT_EQ(script.rfind(std::string(kSeller) + "のtanakaと申します。", 0),
              0u)
        << script;
    EXPECT_NE(script.find(gk_result_solicitation_statement(r.get())),
              std::string::npos);
    EXPECT_NE(script.find("光回線サービス"), std::string::npos);
    EXPECT_NE(script.find("0120-000-111"), std::string::npos);
  }
}

TEST_F(DialHookTest, LibraryBlockCarriesTheReasons) {
  struct Case {
    const char* phone;
    const char* customer;
    const char* campaign;
    const char* reason;
  } cases[] = {
      {kOtherPhone, kCustomer, kCampaign, "PHONE_NOT_CONSENTED"},
      {kPhone, "C-2002", kCampaign, "NO_CONSENT"},
      {kOtherPhone, nullptr, kCampaign, "NO_CONSENT"},
      {kPhone, nullptr, "no-such-campaign", "UNKNOWN_CAMPAIGN"},
  };
  for (const Case& c : cases) {
    Result r = Check(handle_.get(), c.phone, c.customer, c.campaign);
    ASSERT_EQ(gk_result_error(r.get()), GK_OK)
        << gk_result_error_message(r.get());
    EXPECT_EQ(gk_result_verdict(r.get()), GK_VERDICT_BLOCK) << c.reason;
    EXPECT_EQ(Reasons(r.get()), std::vector<std::string>{c.reason});
    EXPECT_NE(gk_result_reason_code(r.get(), 0), GK_REASON_UNSPECIFIED);
    EXPECT_STRNE(gk_result_decision_id(r.get()), "");
    EXPECT_STRNE(gk_result_explanation(r.get()), "");
    EXPECT_GT(gk_result_audit_seq(r.get()), 0u);
    // No script for a call that must not be made.
    EXPECT_STREQ(gk_result_script(r.get()), "");
    EXPECT_STREQ(gk_result_seller_name(r.get()), "");
    EXPECT_STREQ(gk_result_consent_id(r.get()), "");
  }
}

TEST_F(DialHookTest, LibraryFailsClosedWhenTheDaemonIsDown) {
  RefusingPort port;
  Handle h = Open(port.address(), 2000);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result r = Check(h.get(), kPhone);
    EXPECT_EQ(gk_result_verdict(r.get()), GK_VERDICT_BLOCK);
    EXPECT_EQ(gk_result_error(r.get()), GK_ERR_RPC);
    EXPECT_EQ(gk_result_grpc_code(r.get()), 14);  // UNAVAILABLE
    EXPECT_EQ(Reasons(r.get()), std::vector<std::string>{"UNAVAILABLE"});
    EXPECT_EQ(gk_result_reason_code(r.get(), 0), GK_REASON_UNSPECIFIED);
    EXPECT_EQ(
        std::string(gk_result_error_message(r.get())).rfind("UNAVAILABLE: ", 0),
        0u)
        << gk_result_error_message(r.get());
    EXPECT_STREQ(gk_result_explanation(r.get()),
                 gk_result_error_message(r.get()));
    EXPECT_STREQ(gk_result_decision_id(r.get()), "");
    EXPECT_STREQ(gk_result_script(r.get()), "");
  }
}

// A check through `h` until it is ALLOWed (at most `tries`): the handle's
// connection is up and the daemon answers in time. A busy test machine may
// need more than one try to connect within a short timeout.
Result CheckUntilAllowed(gk_dial* h, int tries = 5) {
  Result r = Check(h, kPhone);
  for (int i = 1; i < tries && gk_result_verdict(r.get()) != GK_VERDICT_ALLOW;
       ++i) {
    r = Check(h, kPhone);
  }
  return r;
}

TEST_F(DialHookTest, LibraryFailsClosedWhenTheDaemonIsSlowerThanTheTimeout) {
  Handle h = Open(daemon_->address(), 1000);
  Result before = CheckUntilAllowed(h.get());  // connected and working
  ASSERT_EQ(gk_result_verdict(before.get()), GK_VERDICT_ALLOW)
      << gk_result_error_message(before.get());
  Stopped stopped(daemon_->pid());
  const auto start = std::chrono::steady_clock::now();
  Result r = Check(h.get(), kPhone);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(gk_result_verdict(r.get()), GK_VERDICT_BLOCK);
  EXPECT_EQ(gk_result_error(r.get()), GK_ERR_RPC);
  EXPECT_EQ(gk_result_grpc_code(r.get()), 4);  // DEADLINE_EXCEEDED
  EXPECT_EQ(Reasons(r.get()), std::vector<std::string>{"DEADLINE_EXCEEDED"});
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(10));
  // A new handle to the stopped daemon: its connection never completes.
  Handle fresh = Open(daemon_->address(), 500);
  Result r2 = Check(fresh.get(), kPhone);
  EXPECT_EQ(gk_result_verdict(r2.get()), GK_VERDICT_BLOCK);
  EXPECT_EQ(gk_result_error(r2.get()), GK_ERR_RPC)
      << gk_result_error_message(r2.get());
  stopped.Resume();
  // The same handle works again once the daemon does.
  Result after = CheckUntilAllowed(h.get());
  EXPECT_EQ(gk_result_verdict(after.get()), GK_VERDICT_ALLOW)
      << gk_result_error_message(after.get());
}

TEST_F(DialHookTest, LibraryHandleIsSharedBetweenThreads) {
  constexpr int kThreads = 4;
  constexpr int kChecksEach = 20;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kChecksEach; ++i) {
        const bool allow = (i + t) % 2 == 0;
        Result r = Check(handle_.get(), allow ? kPhone : kOtherPhone);
        const gk_verdict want = allow ? GK_VERDICT_ALLOW : GK_VERDICT_BLOCK;
        if (gk_result_error(r.get()) != GK_OK ||
            gk_result_verdict(r.get()) != want) {
          ++wrong[t];
        }
        ids[t].push_back(gk_result_decision_id(r.get()));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> unique;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
    unique.insert(ids[t].begin(), ids[t].end());
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kChecksEach));
  EXPECT_EQ(unique.count(""), 0u);
}

TEST_F(DialHookTest, LibraryRejectsBadArgumentsAsBlock) {
  // No handle: BLOCK, not a crash.
  Result r(gk_dial_check(nullptr, kPhone, kCampaign, nullptr, kAgent));
  EXPECT_EQ(gk_result_verdict(r.get()), GK_VERDICT_BLOCK);
  EXPECT_EQ(gk_result_error(r.get()), GK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gk_result_grpc_code(r.get()), -1);
  // Missing agent: the daemon's INVALID_ARGUMENT, as an error.
  Result no_agent = Check(handle_.get(), kPhone, nullptr, kCampaign, "");
  EXPECT_EQ(gk_result_verdict(no_agent.get()), GK_VERDICT_BLOCK);
  EXPECT_EQ(gk_result_error(no_agent.get()), GK_ERR_RPC);
  EXPECT_EQ(gk_result_grpc_code(no_agent.get()), 3);
  // NULL reads as the out-of-memory result.
  EXPECT_EQ(gk_result_verdict(nullptr), GK_VERDICT_BLOCK);
  EXPECT_EQ(gk_result_error(nullptr), GK_ERR_NO_MEMORY);
  EXPECT_STREQ(gk_result_reason(nullptr, 0), "NO_MEMORY");
  EXPECT_STREQ(gk_result_reason(nullptr, 7), "");
  gk_result_free(nullptr);

  gk_dial_options o;
  gk_dial_options_init(&o, sizeof o);
  EXPECT_EQ(o.struct_size, sizeof o);
  EXPECT_STREQ(o.target, GK_DIAL_DEFAULT_TARGET);
  EXPECT_EQ(o.timeout_ms, GK_DIAL_DEFAULT_TIMEOUT_MS);
  gk_dial* h = reinterpret_cast<gk_dial*>(&o);  // must be overwritten
  const char* message = nullptr;
  o.target = "";
  EXPECT_EQ(gk_dial_open(&o, &h, &message), GK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(h, nullptr);
  EXPECT_NE(std::string(message).find("target"), std::string::npos);
  o.target = "127.0.0.1:1";
  o.timeout_ms = 0;
  EXPECT_EQ(gk_dial_open(&o, &h, &message), GK_ERR_INVALID_ARGUMENT);
  o.timeout_ms = 100;
  o.struct_size = 0;  // gk_dial_options_init not called
  EXPECT_EQ(gk_dial_open(&o, &h, &message), GK_ERR_INVALID_ARGUMENT);
  // Options from a newer header: init zeroes the whole struct; an unknown
  // field that is then set is refused (it may be TLS), one left zero is fine.
  struct Newer {
    gk_dial_options v1;
    const char* tls_ca_file;
  } newer;
  newer.tls_ca_file = "garbage";
  gk_dial_options_init(&newer.v1, sizeof newer);
  EXPECT_EQ(newer.v1.struct_size, sizeof newer);
  EXPECT_EQ(newer.tls_ca_file, nullptr);
  EXPECT_EQ(newer.v1.timeout_ms, GK_DIAL_DEFAULT_TIMEOUT_MS);
  newer.tls_ca_file = "/etc/gk/ca.pem";
  EXPECT_EQ(gk_dial_open(&newer.v1, &h, &message), GK_ERR_INVALID_ARGUMENT);
  newer.tls_ca_file = nullptr;
  EXPECT_EQ(gk_dial_open(&newer.v1, &h, &message), GK_OK) << message;
  gk_dial_close(h);
  // A struct smaller than the first release's.
  gk_dial_options_init(&o, sizeof o);
  o.struct_size = offsetof(gk_dial_options, timeout_ms);
  EXPECT_EQ(gk_dial_open(&o, &h, &message), GK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gk_dial_open(nullptr, &h, &message), GK_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gk_error_name(GK_ERR_RPC), "RPC");
}

TEST_F(DialHookTest, LibraryReportsFailClosedOnErrors) {
  RefusingPort port;
  Handle down = Open(port.address(), 2000);
  const gk_disclosure_item all[] = {
      GK_DISCLOSURE_SELLER_NAME, GK_DISCLOSURE_AGENT_NAME,
      GK_DISCLOSURE_GOODS_TYPE, GK_DISCLOSURE_SOLICITATION_PURPOSE};
  Result d(gk_dial_report_disclosure(down.get(), "dec_x", kAgent, all, 4,
                                     NowMillis(), NowMillis(), nullptr));
  EXPECT_EQ(gk_result_error(d.get()), GK_ERR_RPC);
  EXPECT_EQ(gk_result_grpc_code(d.get()), 14);
  EXPECT_EQ(gk_result_compliant(d.get()), 0);
  EXPECT_EQ(gk_result_audit_seq(d.get()), 0u);
  Result o(gk_dial_report_outcome(down.get(), "dec_x", kAgent,
                                  GK_OUTCOME_REFUSED, nullptr));
  EXPECT_EQ(gk_result_error(o.get()), GK_ERR_RPC);
  EXPECT_EQ(gk_result_do_not_solicit_count(o.get()), 0u);

  // Values outside the enums never reach the daemon.
  const gk_disclosure_item bad[] = {GK_DISCLOSURE_SELLER_NAME,
                                    static_cast<gk_disclosure_item>(99)};
  Result bad_item(gk_dial_report_disclosure(handle_.get(), "dec_x", kAgent, bad,
                                            2, NowMillis(), NowMillis(),
                                            nullptr));
  EXPECT_EQ(gk_result_error(bad_item.get()), GK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(
      std::string(gk_result_error_message(bad_item.get())).find("items[1]"),
      std::string::npos);
  Result no_items(gk_dial_report_disclosure(handle_.get(), "dec_x", kAgent,
                                            nullptr, 1, 0, 0, nullptr));
  EXPECT_EQ(gk_result_error(no_items.get()), GK_ERR_INVALID_ARGUMENT);
  Result bad_outcome(gk_dial_report_outcome(
      handle_.get(), "dec_x", kAgent, static_cast<gk_call_outcome>(0), ""));
  EXPECT_EQ(gk_result_error(bad_outcome.get()), GK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gk_result_compliant(bad_outcome.get()), 0);
}

// The three tests below need the daemon's ReportDisclosure/ReportOutcome.

TEST_F(DialHookTest, LibraryReportsACompliantDisclosure) {
  Result check = Check(handle_.get(), kPhone);
  ASSERT_EQ(gk_result_verdict(check.get()), GK_VERDICT_ALLOW);
  const int64_t decided = gk_result_decided_at_ms(check.get());
  ASSERT_GT(decided, 0);
  const gk_disclosure_item all[] = {
      GK_DISCLOSURE_SELLER_NAME, GK_DISCLOSURE_AGENT_NAME,
      GK_DISCLOSURE_GOODS_TYPE, GK_DISCLOSURE_SOLICITATION_PURPOSE};
  Result r(gk_dial_report_disclosure(
      handle_.get(), gk_result_decision_id(check.get()), kAgent, all, 4,
      decided, decided + 1, "rec-2026-0999"));
  ASSERT_EQ(gk_result_error(r.get()), GK_OK)
      << gk_result_error_message(r.get());
  EXPECT_EQ(gk_result_compliant(r.get()), 1);
  EXPECT_EQ(gk_result_violation_count(r.get()), 0u);
  EXPECT_GT(gk_result_audit_seq(r.get()), gk_result_audit_seq(check.get()));
}

TEST_F(DialHookTest, LibraryReportsADisclosureMissingAnItem) {
  Result check = Check(handle_.get(), kPhone);
  ASSERT_EQ(gk_result_verdict(check.get()), GK_VERDICT_ALLOW);
  const int64_t decided = gk_result_decided_at_ms(check.get());
  const gk_disclosure_item no_goods[] = {GK_DISCLOSURE_SELLER_NAME,
                                         GK_DISCLOSURE_AGENT_NAME,
                                         GK_DISCLOSURE_SOLICITATION_PURPOSE};
  Result r(gk_dial_report_disclosure(
      handle_.get(), gk_result_decision_id(check.get()), kAgent, no_goods, 3,
      decided, decided + 1, nullptr));
  ASSERT_EQ(gk_result_error(r.get()), GK_OK)
      << gk_result_error_message(r.get());
  EXPECT_EQ(gk_result_compliant(r.get()), 0);
  ASSERT_GE(gk_result_violation_count(r.get()), 1u);
  bool named = false;
  for (size_t i = 0; i < gk_result_violation_count(r.get()); ++i) {
    named = named || NamesItem(gk_result_violation(r.get(), i), "goods_type");
  }
  EXPECT_TRUE(named) << gk_result_violation(r.get(), 0);
  EXPECT_GT(gk_result_audit_seq(r.get()), 0u);
}

TEST_F(DialHookTest, LibraryRefusalBlocksTheNextCheck) {
  const std::string decision = AllowedDecision();
  ASSERT_FALSE(decision.empty());
  Result r(gk_dial_report_outcome(handle_.get(), decision.c_str(), kAgent,
                                  GK_OUTCOME_REFUSED, "結構です"));
  ASSERT_EQ(gk_result_error(r.get()), GK_OK)
      << gk_result_error_message(r.get());
  EXPECT_GT(gk_result_audit_seq(r.get()), 0u);
  ASSERT_EQ(gk_result_do_not_solicit_count(r.get()), 1u);
  EXPECT_STRNE(gk_result_do_not_solicit_id(r.get(), 0), "");
  EXPECT_EQ(gk_result_withdrawn_consent_count(r.get()), 0u);
  Result next = Check(handle_.get(), kPhone);
  ASSERT_EQ(gk_result_error(next.get()), GK_OK);
  EXPECT_EQ(gk_result_verdict(next.get()), GK_VERDICT_BLOCK);
  const auto reasons = Reasons(next.get());
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "DO_NOT_SOLICIT"),
            reasons.end());
}

// A C99 program (tests/integration/gk_dial_c_smoke.c) on the same library.
TEST_F(DialHookTest, CProgramChecksThroughTheLibrary) {
  ChildResult ok = testing::RunChild(
      {GK_DIAL_C_SMOKE_PATH, daemon_->address(), kPhone, kCampaign, kAgent});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.out.rfind("ALLOW OK CONSENT_ON_RECORD\ndec_", 0), 0u) << ok.out;
  RefusingPort port;
  ChildResult down = testing::RunChild(
      {GK_DIAL_C_SMOKE_PATH, port.address(), kPhone, kCampaign, kAgent});
  EXPECT_EQ(down.exit_code, 2) << down.out << down.err;
  EXPECT_EQ(down.out, "BLOCK RPC UNAVAILABLE\n");
}

// --- The command line. ---

TEST_F(DialHookTest, CliCheckExitsZeroOnAllowOneOnBlock) {
  ChildResult allow = Hook({"check", "--phone", kPhone, "--campaign", kCampaign,
                            "--agent", kAgent, "--customer", kCustomer});
  EXPECT_EQ(allow.exit_code, 0) << allow.err;
  EXPECT_EQ(allow.err, "");
  EXPECT_EQ(allow.out.rfind("ALLOW\ndecision_id: dec_", 0), 0u) << allow.out;
  for (const char* want :
       {"\nreasons: CONSENT_ON_RECORD\n", "\ndisclosure:\n",
        "\n  seller_name: ひかりネット株式会社\n",
        "\n  seller_address: 東京都千代田区丸の内1-1-1\n",
        "\n  seller_phone: 0120-000-111\n", "\n  goods_type: 光回線サービス\n",
        "\n  solicitation_statement: ", "\n  agent: tanaka\n",
        "\nscript:\n  ひかりネット株式会社のtanakaと申します。\n"}) {
    EXPECT_NE(allow.out.find(want), std::string::npos) << want << allow.out;
  }

  ChildResult block = Hook({"check", "--phone", kOtherPhone, "--campaign",
                            kCampaign, "--agent", kAgent});
  EXPECT_EQ(block.exit_code, 1) << block.err;
  EXPECT_EQ(block.out.rfind("BLOCK\ndecision_id: dec_", 0), 0u) << block.out;
  EXPECT_NE(block.out.find("\nreasons: NO_CONSENT\n"), std::string::npos);
  EXPECT_EQ(block.out.find("script:"), std::string::npos);

  // GATEKEEPER_TARGET instead of --target.
  ChildOptions env;
  env.env["GATEKEEPER_TARGET"] = daemon_->address();
  ChildResult via_env =
      testing::RunChild({HookPath(), "check", "--phone", kPhone, "--campaign",
                         kCampaign, "--agent", kAgent},
                        env);
  EXPECT_EQ(via_env.exit_code, 0) << via_env.err;
}

TEST_F(DialHookTest, CliCheckExitsTwoOnErrors) {
  RefusingPort port;
  ChildResult down = Hook(
      {"check", "--phone", kPhone, "--campaign", kCampaign, "--agent", kAgent},
      port.address());
  EXPECT_EQ(down.exit_code, 2);
  EXPECT_EQ(down.out, "");
  EXPECT_EQ(down.err.rfind("gk-dial-hook: UNAVAILABLE: ", 0), 0u) << down.err;
  EXPECT_EQ(std::count(down.err.begin(), down.err.end(), '\n'), 1);

  {
    Stopped stopped(daemon_->pid());
    ChildResult slow = Hook({"--timeout-ms", "300", "check", "--phone", kPhone,
                             "--campaign", kCampaign, "--agent", kAgent});
    EXPECT_EQ(slow.exit_code, 2);
    EXPECT_EQ(slow.out, "");
    EXPECT_EQ(slow.err.rfind("gk-dial-hook: DEADLINE_EXCEEDED: ", 0), 0u)
        << slow.err;
  }

  // The daemon refuses the request: an error, not a BLOCK.
  ChildResult no_agent = Hook(
      {"check", "--phone", kPhone, "--campaign", kCampaign, "--agent", ""});
  EXPECT_EQ(no_agent.exit_code, 2);
  EXPECT_EQ(no_agent.err.rfind("gk-dial-hook: INVALID_ARGUMENT: ", 0), 0u)
      << no_agent.err;

  // Usage problems: one line, exit 2.
  ChildResult missing =
      Hook({"check", "--phone", kPhone, "--campaign", kCampaign});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err.rfind("gk-dial-hook: ", 0), 0u) << missing.err;
  EXPECT_NE(missing.err.find("--agent"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1);
  ChildResult bad_timeout =
      Hook({"--timeout-ms", "0", "check", "--phone", kPhone, "--campaign",
            kCampaign, "--agent", kAgent});
  EXPECT_EQ(bad_timeout.exit_code, 2);
  ChildResult no_command = Hook({});
  EXPECT_EQ(no_command.exit_code, 2);
}

TEST_F(DialHookTest, CliCheckPrintsJson) {
  ChildResult r = Hook({"--json", "check", "--phone", kPhone, "--campaign",
                        kCampaign, "--agent", kAgent});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &json).ok())
      << r.out;
  const auto& f = json.fields();
  EXPECT_EQ(f.at("verdict").string_value(), "ALLOW");
  EXPECT_EQ(f.at("decision_id").string_value().rfind("dec_", 0), 0u);
  EXPECT_EQ(f.at("reasons").list_value().values(0).string_value(),
            "CONSENT_ON_RECORD");
  EXPECT_GT(f.at("audit_seq").number_value(), 0);
  EXPECT_EQ(f.at("disclosure")
                .struct_value()
                .fields()
                .at("seller_name")
                .string_value(),
            kSeller);
  const std::string script = f.at("script").string_value();
  EXPECT_NE(script.find('\n'), std::string::npos);
  EXPECT_EQ(script.rfind(std::string(kSeller) + "のtanakaと申します。\n", 0),
            0u);
}

TEST_F(DialHookTest, CliReportsRejectBadInputWithExitTwo) {
  RefusingPort port;
  const std::vector<std::string> disclosure = {
      "disclosure",
      "--decision",
      "dec_x",
      "--agent",
      kAgent,
      "--items",
      "seller-name,agent-name,goods-type,solicitation-purpose",
      "--disclosed-at",
      "now",
      "--pitch-started-at",
      "now"};
  ChildResult down = Hook(disclosure, port.address());
  EXPECT_EQ(down.exit_code, 2);
  EXPECT_EQ(down.err.rfind("gk-dial-hook: UNAVAILABLE: ", 0), 0u) << down.err;

  ChildResult bad_item =
      Hook({"disclosure", "--decision", "dec_x", "--agent", kAgent, "--items",
            "seller-name,price", "--disclosed-at", "now", "--pitch-started-at",
            "now"});
  EXPECT_EQ(bad_item.exit_code, 2);
  EXPECT_EQ(bad_item.err,
            "gk-dial-hook: --items: unknown value \"price\" (expected one of: "
            "seller-name, agent-name, goods-type, solicitation-purpose)\n");

  ChildResult bad_time =
      Hook({"disclosure", "--decision", "dec_x", "--agent", kAgent, "--items",
            "seller-name", "--disclosed-at", "yesterday", "--pitch-started-at",
            "now"});
  EXPECT_EQ(bad_time.exit_code, 2);
  EXPECT_EQ(bad_time.err.rfind("gk-dial-hook: --disclosed-at: invalid time", 0),
            0u)
      << bad_time.err;

  ChildResult bad_outcome = Hook({"outcome", "--decision", "dec_x", "--agent",
                                  kAgent, "--outcome", "hung-up"});
  EXPECT_EQ(bad_outcome.exit_code, 2);
  EXPECT_NE(bad_outcome.err.find("do-not-call-requested"), std::string::npos)
      << bad_outcome.err;

  ChildResult outcome_down = Hook({"outcome", "--decision", "dec_x", "--agent",
                                   kAgent, "--outcome", "refused"},
                                  port.address());
  EXPECT_EQ(outcome_down.exit_code, 2);
  EXPECT_EQ(outcome_down.err.rfind("gk-dial-hook: UNAVAILABLE: ", 0), 0u);
}

// Needs the daemon's ReportDisclosure/ReportOutcome.
TEST_F(DialHookTest, CliReportsDisclosuresAndOutcome) {
  const std::string first = AllowedDecision();
  ChildResult compliant =
      Hook({"disclosure", "--decision", first, "--agent", kAgent, "--items",
            "seller-name,agent-name,goods-type,solicitation-purpose",
            "--disclosed-at", "now", "--pitch-started-at", "now", "--recording",
            "rec-2026-1000"});
  EXPECT_EQ(compliant.exit_code, 0) << compliant.err;
  EXPECT_EQ(compliant.out.rfind("COMPLIANT\naudit_seq: ", 0), 0u)
      << compliant.out;

  const std::string second = AllowedDecision();
  ChildResult missing =
      Hook({"disclosure", "--decision", second, "--agent", kAgent, "--items",
            "seller-name,agent-name,solicitation-purpose", "--disclosed-at",
            "now", "--pitch-started-at", "now"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_EQ(missing.out.rfind("NOT_COMPLIANT\naudit_seq: ", 0), 0u)
      << missing.out;
  const size_t at = missing.out.find("\nviolation: ");
  ASSERT_NE(at, std::string::npos) << missing.out;
  EXPECT_TRUE(NamesItem(missing.out.substr(at), "goods_type")) << missing.out;

  ChildResult refused =
      Hook({"outcome", "--decision", second, "--agent", kAgent, "--outcome",
            "refused", "--note", "結構です"});
  EXPECT_EQ(refused.exit_code, 0) << refused.err;
  EXPECT_EQ(refused.out.rfind("RECORDED\naudit_seq: ", 0), 0u) << refused.out;
  EXPECT_NE(refused.out.find("\ndo_not_solicit: "), std::string::npos)
      << refused.out;

  ChildResult after = Hook(
      {"check", "--phone", kPhone, "--campaign", kCampaign, "--agent", kAgent});
  EXPECT_EQ(after.exit_code, 1) << after.out << after.err;
  EXPECT_NE(after.out.find("DO_NOT_SOLICIT"), std::string::npos) << after.out;
}

// --- AGI. ---

TEST_F(DialHookTest, AgiAllowSetsTheChannelVariables) {
  // As a wrapper script runs it: `gk-dial-hook agi --campaign C -- "$@"`.
  AgiRun run = Agi(AgiEnvironment(kPhoneDigits, {kAgent, kCustomer}), "",
                   {"--", kAgent, kCustomer});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.vars["GK_VERDICT"], "ALLOW");
  EXPECT_EQ(run.vars["GK_DECISION_ID"].rfind("dec_", 0), 0u);
  EXPECT_EQ(run.vars["GK_REASONS"], "CONSENT_ON_RECORD");
  EXPECT_EQ(run.vars["GK_ERROR"], "");
  // The script as the library gives it, on one line.
  Result r = Check(handle_.get(), kPhone);
  std::string script = gk_result_script(r.get());
  std::replace(script.begin(), script.end(), '\n', ' ');
  EXPECT_EQ(run.vars["GK_SCRIPT"], script);
  // BLOCK first, ALLOW last, once everything else is in place.
  ASSERT_FALSE(run.commands.empty());
  EXPECT_EQ(run.commands.front(), "SET VARIABLE GK_VERDICT \"BLOCK\"");
  EXPECT_EQ(run.commands.back(), "SET VARIABLE GK_VERDICT \"ALLOW\"");
  EXPECT_EQ(run.set_order, (std::vector<std::string>{
                               "GK_VERDICT", "GK_DECISION_ID", "GK_REASONS",
                               "GK_SCRIPT", "GK_ERROR", "GK_VERDICT"}));
}

TEST_F(DialHookTest, AgiBlockSetsTheReasons) {
  AgiRun run = Agi(AgiEnvironment(kPhoneDigits, {kAgent, "C-2002"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.vars["GK_VERDICT"], "BLOCK");
  EXPECT_EQ(run.vars["GK_REASONS"], "NO_CONSENT");
  EXPECT_EQ(run.vars["GK_DECISION_ID"].rfind("dec_", 0), 0u);
  EXPECT_EQ(run.vars["GK_SCRIPT"], "");
  EXPECT_EQ(run.vars["GK_ERROR"], "");
  for (const std::string& c : run.commands) {
    EXPECT_EQ(c.find("\"ALLOW\""), std::string::npos) << c;
  }
}

TEST_F(DialHookTest, AgiFailsClosedWhenTheDaemonIsDown) {
  RefusingPort port;
  AgiRun run = Agi(AgiEnvironment(kPhoneDigits, {kAgent}), port.address());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.vars["GK_VERDICT"], "BLOCK");
  EXPECT_EQ(run.vars["GK_REASONS"], "UNAVAILABLE");
  EXPECT_EQ(run.vars["GK_ERROR"].rfind("UNAVAILABLE: ", 0), 0u)
      << run.vars["GK_ERROR"];
  EXPECT_EQ(run.vars["GK_DECISION_ID"], "");
  EXPECT_EQ(run.err.rfind("gk-dial-hook: UNAVAILABLE: ", 0), 0u) << run.err;
  for (const std::string& c : run.commands) {
    EXPECT_EQ(c.find("\"ALLOW\""), std::string::npos) << c;
  }
}

TEST_F(DialHookTest, AgiFailsClosedWhenTheDaemonIsSlow) {
  Stopped stopped(daemon_->pid());
  ChildProcess child({HookPath(), "--target", daemon_->address(),
                      "--timeout-ms", "300", "agi", "--campaign", kCampaign});
  ASSERT_TRUE(child.Start()) << child.error();
  ASSERT_TRUE(child.Write(AgiEnvironment(kPhoneDigits, {kAgent})));
  std::map<std::string, std::string> vars;
  while (auto line = child.ReadLine(std::chrono::seconds(30))) {
    const auto words = ParseAgiCommand(*line);
    ASSERT_EQ(words.size(), 4u) << *line;
    vars[words[2]] = words[3];
    ASSERT_TRUE(child.Write("200 result=1\n"));
  }
  EXPECT_EQ(child.Wait(std::chrono::seconds(30)), 2);
  EXPECT_EQ(vars["GK_VERDICT"], "BLOCK");
  EXPECT_EQ(vars["GK_REASONS"], "DEADLINE_EXCEEDED");
}

TEST_F(DialHookTest, AgiFailsClosedWithoutAnAgentOrNumber) {
  AgiRun no_agent = Agi(AgiEnvironment(kPhoneDigits, {}));
  EXPECT_EQ(no_agent.exit_code, 2);
  EXPECT_EQ(no_agent.vars["GK_VERDICT"], "BLOCK");
  EXPECT_EQ(no_agent.vars["GK_REASONS"], "INVALID_ARGUMENT");
  EXPECT_EQ(no_agent.vars["GK_ERROR"].rfind("agi_arg_1: ", 0), 0u);
  AgiRun no_number = Agi(AgiEnvironment("", {kAgent}));
  EXPECT_EQ(no_number.exit_code, 2);
  EXPECT_EQ(no_number.vars["GK_VERDICT"], "BLOCK");
  EXPECT_EQ(no_number.vars["GK_ERROR"].rfind("agi_extension: ", 0), 0u);
}

TEST_F(DialHookTest, AgiStopsAtAReplyOtherThan200) {
  // Asterisk refuses the second command: the hook stops there, and the only
  // verdict it ever set is BLOCK.
  AgiRun run = Agi(AgiEnvironment(kPhoneDigits, {kAgent}), "", {},
                   [](const std::string&, size_t i) {
                     return i == 1
                                ? std::string("510 Invalid or unknown command")
                                : std::string("200 result=1");
                   });
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.commands.size(), 2u);
  EXPECT_EQ(run.vars["GK_VERDICT"], "BLOCK");
  EXPECT_NE(run.err.find("510 Invalid or unknown command"), std::string::npos)
      << run.err;

  AgiRun first = Agi(
      AgiEnvironment(kPhoneDigits, {kAgent}), "", {},
      [](const std::string&, size_t) { return std::string("200 result=0"); });
  EXPECT_EQ(first.exit_code, 2);
  EXPECT_EQ(first.commands.size(), 1u);

  // Stdin ends inside the environment: BLOCK, in case anyone still listens.
  ChildResult cut =
      testing::RunChild({HookPath(), "--target", daemon_->address(), "agi",
                         "--campaign", kCampaign},
                        {}, "agi_request: x\nagi_extension: 09012345678\n");
  EXPECT_EQ(cut.exit_code, 2);
  EXPECT_EQ(cut.out, "SET VARIABLE GK_VERDICT \"BLOCK\"\n");
  EXPECT_NE(cut.err.find("environment"), std::string::npos) << cut.err;
}

// A solicitation statement with quotes, a backslash and an apostrophe.
class DialHookQuotingTest : public DialHookTest {
 protected:
  static constexpr char kStatement[] =
      R"(本日は、"ひかり光" \ 'Hikari Fiber' のご案内(勧誘)のためにお電話いたしました。)";
  std::string ExtraYaml() const override {
    // YAML single quotes: backslash and double quote are literal, '' is '.
    std::string yaml;
    for (char c : std::string(kStatement)) {
      yaml += c;
      if (c == '\'') yaml += '\'';
    }
    return "solicitation_statement: '" + yaml + "'\n";
  }
};

TEST_F(DialHookQuotingTest, AgiQuotesTheScriptIntoOneCommandLine) {
  AgiRun run = Agi(AgiEnvironment(kPhoneDigits, {kAgent}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.vars["GK_VERDICT"], "ALLOW");
  const std::string& script = run.vars["GK_SCRIPT"];
  EXPECT_NE(script.find(kStatement), std::string::npos) << script;
  EXPECT_EQ(script.find('\n'), std::string::npos);
  Result r = Check(handle_.get(), kPhone);
  EXPECT_STREQ(gk_result_solicitation_statement(r.get()), kStatement);
}

// A statement too long for one AGI command line (Asterisk reads 2,048 bytes).
class DialHookLongScriptTest : public DialHookTest {
 protected:
  std::string ExtraYaml() const override {
    std::string statement;
    for (int i = 0; i < 700; ++i) statement += "あ";  // 2,100 bytes
    return "solicitation_statement: \"" + statement + "\"\n";
  }
};

TEST_F(DialHookLongScriptTest, AgiFailsClosedWhenTheScriptDoesNotFit) {
  AgiRun run = Agi(AgiEnvironment(kPhoneDigits, {kAgent}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.vars["GK_VERDICT"], "BLOCK");
  EXPECT_EQ(run.vars["GK_REASONS"], "AGI_SCRIPT_TOO_LONG");
  EXPECT_EQ(run.vars["GK_SCRIPT"], "");
  EXPECT_NE(run.vars["GK_ERROR"].find("GK_SCRIPT"), std::string::npos);
  for (const std::string& c : run.commands) EXPECT_LE(c.size(), 2046u);
  // The command line and the library still hand the whole script over.
  ChildResult cli = Hook(
      {"check", "--phone", kPhone, "--campaign", kCampaign, "--agent", kAgent});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
}

}  // namespace
}  // namespace gatekeeper

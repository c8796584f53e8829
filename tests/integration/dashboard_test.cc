// The live dashboard against the real daemon: GET /api/dashboard's JSON and
// headers, and the page at / loaded in headless Chromium (Debian's chromium)
// after a known mix of decisions. The DOM after the page's script ran must
// show those counts, the masked phone and never the clear number, the top
// block reason, the audit head and the verify result, and readiness. A
// screenshot is written to the build folder (DASHBOARD_SCREENSHOT) for a
// person to look at.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/strings.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_fixture.h"

namespace gatekeeper::testing {
namespace {

using Json = nlohmann::json;

constexpr char kMasked[] = "+81 90-****-5678";

// Text in a serialized DOM with the HTML entities Chromium writes decoded.
std::string Unescaped(std::string_view s) {
  static const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&amp;", "&"},   {"&lt;", "<"},  {"&gt;", ">"},
      {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [entity, text] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += text;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

// The first run of text inside the element with attribute `attr` (e.g.
// data-testid="total-AD_INSERT-ALLOW"); nullopt when no element has it.
std::optional<std::string> TextAfter(std::string_view dom,
                                     const std::string& attr) {
  const size_t at = dom.find(attr);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t open = dom.find('>', at);
  const size_t close = dom.find('<', open);
  if (open == std::string_view::npos || close == std::string_view::npos) {
    return std::nullopt;
  }
  return Unescaped(dom.substr(open + 1, close - open - 1));
}

std::string TestId(std::string_view dom, const std::string& id) {
  return TextAfter(dom, "data-testid=\"" + id + "\"").value_or("<missing>");
}

// Each table row carrying data-testid=`id`, from its tag to its </tr>.
std::vector<std::string> Rows(const std::string& dom, const std::string& id) {
  std::vector<std::string> out;
  const std::string attr = "data-testid=\"" + id + "\"";
  for (size_t at = dom.find(attr); at != std::string::npos;
       at = dom.find(attr, at + 1)) {
    const size_t end = dom.find("</tr>", at);
    out.push_back(dom.substr(at, end - at));
  }
  return out;
}

std::string Field(const std::string& row, const std::string& field) {
  return TextAfter(row, "data-field=\"" + field + "\"").value_or("<missing>");
}

std::string ReasonName(int r) {
  const std::string name = v1::Reason_Name(static_cast<v1::Reason>(r));
  return name.substr(std::string("REASON_").size());
}

// Decisions as the test made them, to compare with what the page shows.
struct Expected {
  std::map<std::string, uint64_t> totals;  // "AD_INSERT-ALLOW" -> n
  std::map<std::string, uint64_t> blocked_by_reason;

  void Add(const std::string& purpose, const v1::Decision& d) {
    const bool allow = d.verdict() == v1::VERDICT_ALLOW;
    ++totals[purpose + (allow ? "-ALLOW" : "-BLOCK")];
    if (allow) return;
    for (int r : d.reasons()) ++blocked_by_reason[ReasonName(r)];
  }
  std::pair<std::string, uint64_t> TopReason() const {
    std::pair<std::string, uint64_t> top;
    for (const auto& [reason, n] : blocked_by_reason) {
      if (n > top.second) top = {reason, n};
    }
    return top;
  }
};

class DashboardTest : public HttpDaemonTest {
 protected:
  // Runs Chromium headless on the page with `args` added; its stdout.
  // Virtual time lets the page's first fetch and render finish before
  // Chromium dumps or shoots it (time stands still while a fetch is
  // pending), without the test waiting on a clock.
  std::string Chromium(const std::string& name,
                       const std::vector<std::string>& args) {
    const std::filesystem::path home = dir_.path() / name;
    std::filesystem::create_directories(home);
    std::vector<std::string> argv = {
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-extensions",
        "--user-data-dir=" + (home / "profile").string(),
        "--virtual-time-budget=5000"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("http://" + http_ + "/");
    ChildOptions o;
    // Whatever Chromium writes outside its profile stays in the temp dir.
    o.env["HOME"] = home.string();
    o.env["XDG_CONFIG_HOME"] = (home / "config").string();
    o.env["XDG_CACHE_HOME"] = (home / "cache").string();
    const ChildResult r = RunChild(argv, o, {}, std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 0) << "chromium failed: " << r.err;
    return r.out;
  }

  v1::Decision Insert(const std::string& customer,
                      const std::string& campaign) {
    const v1::Decision d = CheckInsert(customer, campaign);
    expected_.Add("AD_INSERT", d);
    return d;
  }
  v1::CheckDialResponse Dial(const std::string& phone,
                             const std::string& customer = "") {
    const v1::CheckDialResponse r = CheckDial(phone, "call-fibre", customer);
    expected_.Add("TELEMARKETING", r.decision());
    return r;
  }

  // A print run of one batch: C-1 (consent on record) and C-7 (none), one
  // leaflet each.
  void PrintRun() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    auto stream = insert_->CheckInsertBatch(&ctx);
    v1::InsertBatchRequest open, batch, close;
    open.mutable_open()->set_print_run_id("run-dash");
    open.mutable_open()->set_actor("print-shop");
    batch.mutable_batch()->set_batch_no(0);
    for (const char* customer : {"C-1", "C-7"}) {
      v1::InsertItem* item = batch.mutable_batch()->add_items();
      item->set_document_id(std::string("doc-") + customer);
      item->set_customer_id(customer);
      item->add_campaign_ids("leaflet-fibre");
    }
    close.mutable_close();
    ASSERT_TRUE(stream->Write(open) && stream->Write(batch) &&
                stream->Write(close));
    stream->WritesDone();
    v1::InsertBatchResponse resp;
    while (stream->Read(&resp)) {
    }
    ASSERT_TRUE(stream->Finish().ok());
    ++expected_.totals["AD_INSERT-ALLOW"];
    ++expected_.totals["AD_INSERT-BLOCK"];
    ++expected_.blocked_by_reason["NO_CONSENT"];
  }

  // A disclosure that named only the seller: a violation.
  void ReportViolation(const std::string& decision_id) {
    v1::ReportDisclosureRequest r;
    r.set_decision_id(decision_id);
    r.set_agent_id("agent-7");
    r.add_items(v1::DISCLOSURE_ITEM_SELLER_NAME);
    const Micros at = Now() - 60'000'000;
    *r.mutable_disclosed_at() = FromMicros(at);
    *r.mutable_pitch_started_at() = FromMicros(at + 1'000'000);
    r.set_recording_ref("rec-dash-0001");
    v1::ReportDisclosureResponse out;
    ASSERT_TRUE(dial_->ReportDisclosure(Ctx().get(), r, &out).ok());
    ASSERT_FALSE(out.compliant());
  }

  Json Api() {
    const HttpReply r = Get("/api/dashboard");
    EXPECT_EQ(r.status, 200);
    Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << r.body;
    return j;
  }

  Expected expected_;
};

TEST_F(DashboardTest, ThePageShowsTheDecisionsMadeInHeadlessChromium) {
  ApprovedCampaign("leaflet-fibre", v1::CAMPAIGN_KIND_INSERT);
  ApprovedCampaign("call-fibre", v1::CAMPAIGN_KIND_CALL);
  ASSERT_TRUE(Record(AdConsent("C-1")).ok());
  ASSERT_TRUE(Record(TmConsent("C-2")).ok());
  for (int i = 0; i < 3; ++i) Insert("C-1", "leaflet-fibre");  // ALLOW
  for (const char* c : {"C-7", "C-8", "C-9", "C-10"}) {
    Insert(c, "leaflet-fibre");  // NO_CONSENT
  }
  Insert("C-1", "leaflet-gone");  // UNKNOWN_CAMPAIGN
  const auto allowed = Dial(kPhone, "C-2");
  ASSERT_EQ(allowed.decision().verdict(), v1::VERDICT_ALLOW);
  ASSERT_EQ(Dial(kOtherPhone).decision().verdict(), v1::VERDICT_BLOCK);
  PrintRun();
  ReportViolation(allowed.decision().decision_id());
  const v1::VerifyAuditResponse verified = Verify();
  ASSERT_TRUE(verified.ok());
  const uint64_t head = QueryAudit().back().seq();

  const std::string dom = Chromium("dump", {"--dump-dom"});
  ASSERT_NE(dom.find("data-state=\"ok\""), std::string::npos)
      << "the page did not render its first fetch:\n"
      << dom;
  EXPECT_EQ(TestId(dom, "health-status"), "ready");
  for (const char* p : {"AD_INSERT", "TELEMARKETING"}) {
    for (const char* v : {"ALLOW", "BLOCK"}) {
      const std::string key = StrCat(p, "-", v);
      const std::string n = std::to_string(expected_.totals[key]);
      EXPECT_EQ(TestId(dom, "total-" + key), n) << key;
      // All were made within the hour the chart covers.
      EXPECT_EQ(TestId(dom, "hour-" + key), n) << key;
    }
  }
  EXPECT_EQ(expected_.totals["AD_INSERT-ALLOW"], 4u);
  EXPECT_EQ(expected_.totals["AD_INSERT-BLOCK"], 6u);
  EXPECT_NE(dom.find("data-series=\"ALLOW\""), std::string::npos);
  EXPECT_NE(dom.find("data-series=\"BLOCK\""), std::string::npos);

  const auto [reason, count] = expected_.TopReason();
  EXPECT_EQ(reason, "NO_CONSENT");
  EXPECT_EQ(TestId(dom, "top-reason-0-name"), reason);
  EXPECT_EQ(TestId(dom, "top-reason-0-count"), std::to_string(count));

  EXPECT_EQ(TestId(dom, "audit-head-seq"), std::to_string(head));
  EXPECT_EQ(TestId(dom, "audit-verify-status"), "ok");
  EXPECT_EQ(
      TestId(dom, "audit-verify-detail")
          .rfind(StrCat(verified.entries_checked(), " entries checked"), 0),
      0u)
      << TestId(dom, "audit-verify-detail");
  EXPECT_EQ(TestId(dom, "event-log-lag"), "off");  // none configured

  EXPECT_EQ(TestId(dom, "disclosure-violations"), "1");
  const auto violations = Rows(dom, "violation-row");
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_NE(
      Field(violations[0], "violations").find("AGENT_NAME was not disclosed"),
      std::string::npos)
      << violations[0];
  EXPECT_EQ(Field(violations[0], "agent"), "agent-7");

  // 8 checks of inserts, 2 dials and the print batch, newest first.
  const auto rows = Rows(dom, "recent-row");
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_NE(rows[0].find("data-kind=\"print.batch\""), std::string::npos)
      << rows[0];
  EXPECT_NE(rows[0].find("1 allowed / 1 blocked"), std::string::npos)
      << rows[0];
  bool dial_shown = false;
  for (const std::string& row : rows) {
    if (row.find("data-kind=\"decision.dial\"") == std::string::npos) continue;
    if (Field(row, "phone") != kMasked) continue;
    dial_shown = true;
    EXPECT_EQ(Field(row, "agent"), "agent-7");
    EXPECT_EQ(Field(row, "campaign"), "call-fibre");
    EXPECT_EQ(Field(row, "customer"), "C-2");
  }
  EXPECT_TRUE(dial_shown) << "no row with " << kMasked;
  // Never a clear number, in any spelling.
  for (const char* clear : {"090-1234-5678", "09012345678", "+819012345678",
                            "9012345678", "090-8765-4321", "9087654321"}) {
    EXPECT_EQ(dom.find(clear), std::string::npos) << clear;
  }

  // The screenshot, for a person to look at.
  const std::filesystem::path png = DASHBOARD_SCREENSHOT;
  std::filesystem::remove(png);
  Chromium("shot", {"--screenshot=" + png.string(), "--window-size=1366,900",
                    "--hide-scrollbars"});
  ASSERT_TRUE(std::filesystem::exists(png)) << png;
  std::ifstream in(png, std::ios::binary);
  std::string magic(8, '\0');
  in.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(std::filesystem::file_size(png), 10'000u);
}

TEST_F(DashboardTest, TheApiIsUncachedJsonAndShowsTheLastVerify) {
  HttpReply r = Get("/api/dashboard");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.cache_control, "no-store");
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["audit"]["last_verify"], nullptr);  // not verified since start
  EXPECT_EQ(j["health"]["ready"], true);
  EXPECT_FALSE(j["health"].contains("why"));
  EXPECT_EQ(j["health"]["event_log"], nullptr);
  EXPECT_EQ(j["per_minute"].size(), 60u);

  ApprovedCampaign("leaflet-fibre", v1::CAMPAIGN_KIND_INSERT);
  const v1::Decision d = CheckInsert("C-9", "leaflet-fibre");
  const v1::VerifyAuditResponse v = Verify();
  j = Api();
  EXPECT_EQ(j["audit"]["head_seq"], d.audit_seq());
  EXPECT_EQ(j["audit"]["last_verify"]["ok"], true);
  EXPECT_EQ(j["audit"]["last_verify"]["entries_checked"], v.entries_checked());
  EXPECT_FALSE(j["audit"]["last_verify"].contains("problem"));
  EXPECT_EQ(j["totals"]["AD_INSERT"]["BLOCK"], 1);
  EXPECT_EQ(j["per_minute"].back()["AD_INSERT"]["BLOCK"].get<int>() +
                j["per_minute"][58]["AD_INSERT"]["BLOCK"].get<int>(),
            1);  // this minute, or the last if it just turned
  EXPECT_EQ(j["top_block_reasons"],
            Json::parse(R"([{"reason":"NO_CONSENT","count":1}])"));
  ASSERT_EQ(j["recent"].size(), 1u);
  EXPECT_EQ(j["recent"][0]["seq"], d.audit_seq());
  EXPECT_EQ(j["recent"][0]["verdict"], "BLOCK");
  EXPECT_EQ(j["recent"][0]["customer_id"], "C-9");
}

TEST_F(DashboardTest, TheApiKeepsTheServersErrors) {
  HttpReply r = Get("/api/dashboard", Verb::head);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Get("/api/dashboard", Verb::post).status, 405);
  r = Get("/api/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("/api/dashboard"), std::string::npos) << r.body;
}

TEST_F(DashboardTest, TheApiSaysWhyTheDaemonIsNotReady) {
  // Writes beyond 1.5 MiB fail (RLIMIT_FSIZE): the store soon refuses
  // writes, as after a disk error.
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  DaemonOptions limited;
  limited.file_size_limit = 1536 * 1024;
  StartHttpDaemon(limited);
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent()).ok());
  int errors = 0;
  for (int i = 0; i < 5000 && errors == 0; ++i) {
    grpc::Status s;
    CheckInsert("C-1001", "k1", &s);
    if (!s.ok()) ++errors;
  }
  ASSERT_GT(errors, 0) << "the file size limit was never reached";
  const Json j = Api();
  EXPECT_EQ(j["health"]["ready"], false);
  EXPECT_EQ(j["health"]["why"],
            "the store refuses writes after an I/O error (see stderr)");
  // What is durable is still shown.
  EXPECT_GT(j["audit"]["head_seq"].get<uint64_t>(), 0u);
  EXPECT_FALSE(j["recent"].empty());
}

}  // namespace
}  // namespace gatekeeper::testing

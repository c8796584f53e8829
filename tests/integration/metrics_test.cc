// The HTTP side against the real daemon: /metrics parsed by a real
// exposition-format parser (python3-prometheus-client) with counts matching
// the decisions made; /healthz, /readyz, the dashboard page, and errors.
#include <signal.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/testing/http_fixture.h"

namespace gatekeeper::testing {
namespace {

using Json = nlohmann::json;

class MetricsTest : public HttpDaemonTest {
 protected:
  // The samples, as prometheus_client parsed them.
  std::vector<Json> Scrape() const {
    const std::string cmd = std::string(PYTHON3) + " " + GATEKEEPER_SOURCE_DIR +
                            "/tests/integration/scripts/scrape.py http://" +
                            http_ + "/metrics";
    FILE* p = ::popen(cmd.c_str(), "r");
    EXPECT_NE(p, nullptr);
    std::vector<Json> out;
    char buf[4096];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) {
      out.push_back(Json::parse(buf));
    }
    EXPECT_EQ(p != nullptr ? ::pclose(p) : -1, 0) << "scrape.py failed";
    return out;
  }

  static double Value(const std::vector<Json>& samples, const std::string& name,
                      const std::map<std::string, std::string>& labels = {}) {
    double sum = 0;
    for (const Json& s : samples) {
      if (!s.contains("name") || s["name"] != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        match = match && s["labels"].value(k, "") == v;
      }
      if (match) sum += s["value"].get<double>();
    }
    return sum;
  }
};

TEST_F(MetricsTest, CountsMatchTheDecisionsMadeAndParseAsTheFormat) {
  ApprovedCampaign("leaflet-fibre", v1::CAMPAIGN_KIND_INSERT);
  ApprovedCampaign("call-fibre", v1::CAMPAIGN_KIND_CALL);
  ASSERT_TRUE(Record(AdConsent("C-1")).ok());
  ASSERT_TRUE(Record(TmConsent("C-2")).ok());
  for (int i = 0; i < 3; ++i) CheckInsert("C-1", "leaflet-fibre");  // ALLOW
  CheckInsert("C-9", "leaflet-fibre");     // NO_CONSENT
  CheckInsert("C-1", "leaflet-gone");      // UNKNOWN_CAMPAIGN
  CheckDial(kPhone, "call-fibre", "C-2");  // ALLOW
  CheckDial(kOtherPhone, "call-fibre");    // BLOCK
  grpc::Status bad;
  CheckInsert("", "leaflet-fibre", &bad);  // INVALID_ARGUMENT
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const std::vector<Json> m = Scrape();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0].value("content_type", ""),
            "text/plain; version=0.0.4; charset=utf-8");
  const std::string d = "gatekeeper_decisions_total";
  EXPECT_EQ(Value(m, d, {{"purpose", "AD_INSERT"}, {"verdict", "ALLOW"}}), 3);
  EXPECT_EQ(Value(m, d,
                  {{"purpose", "AD_INSERT"},
                   {"verdict", "ALLOW"},
                   {"reason", "CONSENT_ON_RECORD"},
                   {"company", "hikari-net"}}),
            3);
  EXPECT_EQ(Value(m, d,
                  {{"purpose", "AD_INSERT"},
                   {"verdict", "BLOCK"},
                   {"reason", "NO_CONSENT"},
                   {"company", "hikari-net"}}),
            1);
  EXPECT_EQ(Value(m, d,
                  {{"verdict", "BLOCK"},
                   {"reason", "UNKNOWN_CAMPAIGN"},
                   {"company", "none"}}),
            1);
  EXPECT_EQ(Value(m, d, {{"purpose", "TELEMARKETING"}, {"verdict", "ALLOW"}}),
            1);
  EXPECT_GE(Value(m, d, {{"purpose", "TELEMARKETING"}, {"verdict", "BLOCK"}}),
            1);
  EXPECT_EQ(Value(m, "gatekeeper_decision_duration_seconds_count",
                  {{"purpose", "AD_INSERT"}}),
            5);
  EXPECT_EQ(Value(m, "gatekeeper_decision_duration_seconds_count",
                  {{"purpose", "TELEMARKETING"}}),
            2);
  EXPECT_EQ(Value(m, "gatekeeper_rpc_requests_total",
                  {{"method", "/gatekeeper.v1.InsertGate/CheckInsert"},
                   {"code", "0"}}),
            5);
  EXPECT_EQ(Value(m, "gatekeeper_rpc_requests_total",
                  {{"method", "/gatekeeper.v1.InsertGate/CheckInsert"},
                   {"code", "3"}}),
            1);
  EXPECT_EQ(Value(m, "gatekeeper_consents",
                  {{"purpose", "AD_INSERT"}, {"state", "GRANTED"}}),
            1);
  EXPECT_EQ(Value(m, "gatekeeper_consents",
                  {{"purpose", "TELEMARKETING"}, {"state", "GRANTED"}}),
            1);
  const auto log = QueryAudit();
  EXPECT_EQ(Value(m, "gatekeeper_audit_head_seq"), log.back().seq());
  EXPECT_GE(Value(m, "gatekeeper_commit_batch_size_count"), 1);
  EXPECT_GE(Value(m, "gatekeeper_fsync_duration_seconds_count"), 1);
  EXPECT_EQ(Value(m, "gatekeeper_event_log_lag_entries"), 0);
  EXPECT_EQ(Value(m, "gatekeeper_disclosure_violations_total"), 0);
  EXPECT_EQ(Value(m, "gatekeeper_build_info"), 1);
  // No customer or document id reaches a label.
  for (const Json& s : m) {
    const std::string text = s.dump();
    EXPECT_EQ(text.find("C-1"), std::string::npos) << text;
    EXPECT_EQ(text.find("doc-1"), std::string::npos) << text;
  }
}

TEST_F(MetricsTest, APrintRunsLeafletsAreCounted) {
  ApprovedCampaign("leaflet-fibre", v1::CAMPAIGN_KIND_INSERT);
  ASSERT_TRUE(Record(AdConsent("C-1")).ok());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = insert_->CheckInsertBatch(&ctx);
  v1::InsertBatchRequest open;
  open.mutable_open()->set_print_run_id("run-m");
  open.mutable_open()->set_actor("print-shop");
  open.mutable_open()->set_compact_answers(true);
  v1::InsertBatchRequest batch;
  batch.mutable_batch()->set_batch_no(0);
  for (const char* customer : {"C-1", "C-2"}) {
    v1::InsertItem* item = batch.mutable_batch()->add_items();
    item->set_document_id(std::string("doc-") + customer);
    item->set_customer_id(customer);
    item->add_campaign_ids("leaflet-fibre");
    item->add_campaign_ids("leaflet-gone");
  }
  v1::InsertBatchRequest close;
  close.mutable_close();
  ASSERT_TRUE(stream->Write(open) && stream->Write(batch) &&
              stream->Write(close));
  stream->WritesDone();
  v1::InsertBatchResponse resp;
  while (stream->Read(&resp)) {
  }
  ASSERT_TRUE(stream->Finish().ok());

  const std::vector<Json> m = Scrape();
  const std::string d = "gatekeeper_decisions_total";
  EXPECT_EQ(Value(m, d,
                  {{"verdict", "ALLOW"},
                   {"reason", "CONSENT_ON_RECORD"},
                   {"company", "hikari-net"}}),
            1);
  EXPECT_EQ(Value(m, d,
                  {{"verdict", "BLOCK"},
                   {"reason", "NO_CONSENT"},
                   {"company", "hikari-net"}}),
            1);
  EXPECT_EQ(Value(m, d,
                  {{"verdict", "BLOCK"},
                   {"reason", "UNKNOWN_CAMPAIGN"},
                   {"company", "none"}}),
            2);
}

TEST_F(MetricsTest, HealthReadinessDashboardAndErrors) {
  HttpReply r = Get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = Get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "ready\nwarning: no authentication (config principals is empty): "
            "every caller may call every RPC; for development only\n");
  r = Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<title>Consent Gatekeeper</title>"),
            std::string::npos);
  EXPECT_EQ(r.body.find("http://"), std::string::npos) << "no fetch elsewhere";
  EXPECT_EQ(r.body.find("https://"), std::string::npos);
  EXPECT_EQ(Get("/nope").status, 404);
  EXPECT_EQ(Get("/metrics", Verb::post).status, 405);
  r = Get("/metrics", Verb::head);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(MetricsTest, DiagnosticsOnStderrAreJsonLinesWithALevel) {
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  const std::string err = daemon_->Stderr();
  std::vector<Json> lines;
  size_t from = 0;
  for (size_t lf; (lf = err.find('\n', from)) != std::string::npos;
       from = lf + 1) {
    lines.push_back(Json::parse(err.substr(from, lf - from), nullptr, false));
    ASSERT_TRUE(lines.back().is_object()) << err.substr(from, lf - from);
    EXPECT_TRUE(lines.back().contains("ts"));
    EXPECT_TRUE(lines.back().contains("level"));
    EXPECT_TRUE(lines.back().contains("msg"));
  }
  EXPECT_EQ(from, err.size()) << "a last line without LF: " << err;
  ASSERT_GE(lines.size(), 2u) << err;
  // What the store says while it opens (how the consent index was loaded)
  // comes before "started"; nothing before it is a warning or an error.
  size_t started = 0;
  while (started < lines.size() &&
         lines[started]["msg"].get<std::string>().rfind("started: ", 0) != 0) {
    EXPECT_EQ(lines[started]["level"], "info") << err;
    ++started;
  }
  ASSERT_LT(started, lines.size()) << "no \"started: \" line: " << err;
  EXPECT_EQ(lines[started]["level"], "info");
  EXPECT_EQ(lines.back()["msg"], "stopped");
}

TEST_F(MetricsTest, ABadHttpListenKeepsTheDaemonFromStarting) {
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  DaemonOptions o;
  o.extra_yaml = "http:\n  listen: \"not-an-address:9464\"\n";
  DaemonProcess other(dir_.path() / "var", o);
  EXPECT_FALSE(other.Start());
  EXPECT_NE(other.Stderr().find("http.listen: expected an IP address"),
            std::string::npos)
      << other.Stderr();
}

}  // namespace
}  // namespace gatekeeper::testing

// Metrics' own rules: company labels from a bounded set that a reloaded config
// can extend, counts by verdict and reason, and the dashboard's figures.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon/ops/metrics.h"

namespace gatekeeper {
namespace {

constexpr int kAdInsert = 1;
constexpr int kTelemarketing = 2;
constexpr uint32_t kConsentOnRecord = 1u << 1;
constexpr uint32_t kNoConsent = 1u << 2;
constexpr uint32_t kUnknownCampaign = 1u << 6;

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsUnitTest, UnknownCompaniesCountAsOtherUntilAdded) {
  Metrics m({"hikari-net"}, "v", "c");
  m.CountDecision(kAdInsert, false, kNoConsent, "hikari-net");
  m.CountDecision(kAdInsert, false, kNoConsent, "new-co");
  m.CountDecision(kAdInsert, false, kNoConsent, "");
  std::string text = m.Expose();
  EXPECT_TRUE(Has(text, "company=\"hikari-net\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "company=\"other\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "company=\"none\"} 1\n")) << text;
  EXPECT_FALSE(Has(text, "new-co")) << text;

  m.AddCompanies({"hikari-net", "new-co"});  // the first is already known
  m.CountDecision(kAdInsert, false, kNoConsent, "new-co", 2);
  text = m.Expose();
  EXPECT_TRUE(Has(text, "company=\"new-co\"} 2\n")) << text;
  EXPECT_TRUE(Has(text, "company=\"other\"} 1\n")) << text;
}

TEST(MetricsUnitTest, CompaniesPastTheLimitCountAsOther) {
  std::vector<std::string> many;
  for (size_t i = 0; i < Metrics::kMaxCompanies + 3; ++i) {
    many.push_back("co-" + std::to_string(i));
  }
  Metrics m(many, "v", "c");
  m.CountDecision(kAdInsert, true, 1u << 1, many.front());
  m.CountDecision(kAdInsert, true, 1u << 1, many.back());
  const std::string text = m.Expose();
  EXPECT_TRUE(Has(text, "company=\"co-0\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "company=\"other\"} 1\n")) << text;
  EXPECT_FALSE(Has(text, many.back())) << text;
}

TEST(MetricsUnitTest, StatsCountDecisionsByVerdictNotByReason) {
  Metrics m({"hikari-net"}, "v", "c");
  constexpr int64_t kT0 = 1'796'085'000'000'000;  // a minute's start
  // One BLOCK with two reasons: two reason counts, one decision.
  m.CountDecision(kAdInsert, false, kNoConsent | kUnknownCampaign, "");
  m.CountVerdict(kAdInsert, false, 1, kT0);
  m.CountDecision(kAdInsert, true, kConsentOnRecord, "hikari-net", 3);
  m.CountVerdict(kAdInsert, true, 3, kT0 + 1);
  m.CountDecision(kTelemarketing, false, kNoConsent, "hikari-net");
  m.CountVerdict(kTelemarketing, false, 1, kT0 + 2);
  m.CountDisclosureViolation();

  const DecisionStats s = m.Stats(kT0 + 30'000'000);
  EXPECT_EQ(s.totals[kAdInsert][0], 1u);
  EXPECT_EQ(s.totals[kAdInsert][1], 3u);
  EXPECT_EQ(s.totals[kTelemarketing][0], 1u);
  EXPECT_EQ(s.totals[kTelemarketing][1], 0u);
  ASSERT_EQ(s.per_minute.size(), 60u);
  EXPECT_EQ(s.per_minute.back().start_micros, kT0);
  EXPECT_EQ(s.per_minute.back().counts[kAdInsert][1], 3u);
  EXPECT_EQ(s.per_minute.back().counts[kTelemarketing][0], 1u);
  // Block reasons over purposes and companies, most first, named as in
  // /metrics; the ALLOW reason is not one of them.
  using Reasons = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(s.block_reasons,
            (Reasons{{"NO_CONSENT", 2}, {"UNKNOWN_CAMPAIGN", 1}}));
  EXPECT_EQ(s.disclosure_violations, 1u);
  EXPECT_TRUE(
      Has(m.Expose(), "reason=\"UNKNOWN_CAMPAIGN\",company=\"none\"} 1"));
}

TEST(MetricsUnitTest, RpcsAreCountedByMethodAndCode) {
  Metrics m({}, "v", "c");
  Metrics::RpcCounter& check = m.RpcMethod("/gatekeeper.v1.InsertGate/Check");
  EXPECT_EQ(&check, &m.RpcMethod("/gatekeeper.v1.InsertGate/Check"));
  check.Count(0);
  check.Count(0);
  check.Count(3);
  m.CountRpc("/gatekeeper.v1.DialGate/CheckDial", 99);  // not a code: UNKNOWN
  const std::string text = m.Expose();
  EXPECT_TRUE(Has(text,
                  "gatekeeper_rpc_requests_total{method=\"/gatekeeper.v1."
                  "InsertGate/Check\",code=\"0\"} 2\n"))
      << text;
  EXPECT_TRUE(Has(text,
                  "gatekeeper_rpc_requests_total{method=\"/gatekeeper.v1."
                  "InsertGate/Check\",code=\"3\"} 1\n"))
      << text;
  EXPECT_TRUE(Has(text,
                  "gatekeeper_rpc_requests_total{method=\"/gatekeeper.v1."
                  "DialGate/CheckDial\",code=\"2\"} 1\n"))
      << text;
  EXPECT_FALSE(Has(text, "code=\"1\"")) << text;
}

}  // namespace
}  // namespace gatekeeper

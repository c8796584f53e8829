// Metrics' own rules: company labels from a bounded set that a reloaded config
// can extend, counts by verdict and reason.
#include <gtest/gtest.h>

#include <string>

#include "daemon/ops/metrics.h"

namespace gatekeeper {
namespace {

constexpr int kAdInsert = 1;
constexpr uint32_t kNoConsent = 1u << 2;

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

}  // namespace
}  // namespace gatekeeper

// Config parsing and validation: every error names its key.
#include "daemon/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/testing/test_config.h"

namespace gatekeeper {
namespace {

// The shared test config with a data_dir.
std::string Base() {
  return std::string(testing::kTestConfigYaml) + "data_dir: \"d\"\n";
}

absl::Status Load(const std::string& yaml) {
  auto c = ParseConfigYaml(yaml, "gk.yaml");
  if (!c.ok()) return c.status();
  return ValidateConfig(*c);
}

TEST(ConfigTest, ParsesTheTestConfig) {
  Config c = testing::TestConfig();
  EXPECT_EQ(c.companies_size(), 2);
  EXPECT_EQ(c.notices(1).purpose(), v1::PURPOSE_TELEMARKETING);
  EXPECT_EQ(c.utc_offset(), "+09:00");  // default
  EXPECT_EQ(c.max_batch(), 512u);       // default
}

TEST(ConfigTest, ExampleConfigIsValid) {
  auto c =
      LoadConfigFile(GATEKEEPER_SOURCE_DIR "/config/gatekeeper.example.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen(), "127.0.0.1:50051");
}

TEST(ConfigTest, UnknownTopLevelKeyIsNamedWithLine) {
  absl::Status s = Load(Base() + "colour: red\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("colour: unknown key"), absl::string_view::npos)
      << s.message();
  EXPECT_NE(s.message().find("gk.yaml:"), absl::string_view::npos);
}

TEST(ConfigTest, UnknownNestedKeyIsNamedWithPath) {
  absl::Status s = Load(R"(
listen: "127.0.0.1:1"
data_dir: "d"
companies:
  - {id: "a", legal_name: "n", address: "x", phone: "1", representative: "r", fax: "2"}
)");
  EXPECT_NE(s.message().find("companies[0].fax: unknown key"),
            absl::string_view::npos)
      << s.message();
}

TEST(ConfigTest, BadEnumValueListsTheAllowedOnes) {
  absl::Status s = Load(R"(
listen: "127.0.0.1:1"
data_dir: "d"
companies: [{id: "a", legal_name: "n", address: "x", phone: "1", representative: "r"}]
notices: [{id: "n1", purpose: ADS, company_ids: ["a"], text: "t"}]
)");
  EXPECT_NE(s.message().find("notices[0].purpose: unknown value \"ADS\""),
            absl::string_view::npos)
      << s.message();
  EXPECT_NE(s.message().find("AD_INSERT, TELEMARKETING"),
            absl::string_view::npos);
}

TEST(ConfigTest, NoticeNamingUnknownCompanyIsRejected) {
  absl::Status s = Load(R"(
listen: "127.0.0.1:1"
data_dir: "d"
companies: [{id: "a", legal_name: "n", address: "x", phone: "1", representative: "r"}]
notices: [{id: "n1", purpose: AD_INSERT, company_ids: ["b"], text: "t"}]
)");
  EXPECT_EQ(s.message(), "notices[0].company_ids[0]: unknown company \"b\"");
}

TEST(ConfigTest, MissingRequiredKeysAreNamed) {
  EXPECT_EQ(Load("data_dir: d\n").message(), "listen: is required");
  EXPECT_EQ(Load("listen: \"127.0.0.1:1\"\n").message(),
            "data_dir: is required");
  EXPECT_EQ(Load("listen: \"127.0.0.1:1\"\ndata_dir: d\n").message(),
            "companies: at least one company is required");
}

TEST(ConfigTest, CompanyNeedsDisclosureFields) {
  absl::Status s = Load(R"(
listen: "127.0.0.1:1"
data_dir: "d"
companies: [{id: "a", legal_name: "n", phone: "1", representative: "r"}]
)");
  EXPECT_EQ(s.message(), "companies[0].address: is required");
}

TEST(ConfigTest, DuplicateCompanyIdIsRejected) {
  absl::Status s = Load(R"(
listen: "127.0.0.1:1"
data_dir: "d"
companies:
  - {id: "a", legal_name: "n", address: "x", phone: "1", representative: "r"}
  - {id: "a", legal_name: "n", address: "x", phone: "1", representative: "r"}
)");
  EXPECT_EQ(s.message(), "companies[1].id: duplicate id \"a\"");
}

TEST(ConfigTest, BadUtcOffsetIsRejected) {
  std::string yaml = Base();
  yaml.replace(yaml.find("\"+09:00\""), 8, "JST");
  EXPECT_EQ(Load(yaml).message().substr(0, 11), "utc_offset:");
  EXPECT_EQ(*ParseUtcOffset("+09:00"), 9 * 3600);
  EXPECT_EQ(*ParseUtcOffset("-05:30"), -(5 * 3600 + 30 * 60));
}

TEST(ConfigTest, WrongShapeIsRejected) {
  EXPECT_NE(
      Load("listen: [1, 2]\n").message().find("listen: expected a scalar"),
      absl::string_view::npos);
  EXPECT_NE(
      Load("companies: {a: 1}\n").message().find("companies: expected a list"),
      absl::string_view::npos);
  EXPECT_NE(Load("max_batch: -3\n")
                .message()
                .find("max_batch: expected a non-negative integer"),
            absl::string_view::npos);
}

TEST(ConfigTest, SyntaxErrorNamesTheLine) {
  absl::Status s = Load("listen: \"127.0.0.1:1\"\ndata_dir: [unclosed\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().substr(0, 8), "gk.yaml:") << s.message();
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfigFile("/nonexistent/gk.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ConfigTest, AdDisplayItemsDefaultAndAreChecked) {
  auto parsed = ParseConfigYaml(
      std::string(testing::kTestConfigYaml) + "data_dir: \"/x\"\n", "t.yaml");
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(ValidateConfig(*parsed).ok());
  EXPECT_EQ(std::vector<std::string>(parsed->ad_display_items().begin(),
                                     parsed->ad_display_items().end()),
            DefaultAdDisplayItems());
  for (const char* bad : {"[price]", "[PRICE, PRICE]", "[\"\"]"}) {
    auto c =
        ParseConfigYaml(std::string(testing::kTestConfigYaml) +
                            "data_dir: \"/x\"\nad_display_items: " + bad + "\n",
                        "t.yaml");
    ASSERT_TRUE(c.ok()) << bad;
    absl::Status s = ValidateConfig(*c);
    EXPECT_EQ(std::string(s.message()).rfind("ad_display_items[", 0), 0u)
        << bad << ": " << s;
  }
}

TEST(ConfigTest, CallingRulesAreCheckedNamingTheKey) {
  const std::string base =
      std::string(testing::kTestConfigYaml) + "data_dir: \"/x\"\n";
  const std::pair<const char*, const char*> cases[] = {
      {"calling_hours: {start: \"9:00\"}", "calling_hours.start"},
      {"calling_hours: {end: \"24:01\"}", "calling_hours.end"},
      {"calling_hours: {start: \"20:00\", end: \"09:00\"}",
       "calling_hours.end"},
      {"blackout_dates: [\"2026-02-30\"]", "blackout_dates[0]"},
      {"disclosure_profiles: {TOKUSHOHO: [SELLER_NAME, SELLER_NAME]}",
       "disclosure_profiles.TOKUSHOHO[1]"},
  };
  for (const auto& [yaml, key] : cases) {
    auto c = ParseConfigYaml(base + yaml + "\n", "t.yaml");
    ASSERT_TRUE(c.ok()) << yaml << ": " << c.status();
    absl::Status s = ValidateConfig(*c);
    EXPECT_EQ(std::string(s.message()).rfind(std::string(key) + ":", 0), 0u)
        << yaml << ": " << s;
  }
  auto ok = ParseConfigYaml(base, "t.yaml");
  ASSERT_TRUE(ok.ok() && ValidateConfig(*ok).ok());
  EXPECT_EQ(ok->calling_hours().start(), "09:00");
  EXPECT_EQ(ok->calling_hours().end(), "20:00");
  EXPECT_EQ(ok->disclosure_profiles().tokushoho_size(), 4);
}

TEST(ConfigTest, RetentionPeriodsHaveDefaultsAndTheLawsMinimum) {
  auto cfg = LoadConfigText(Base(), "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->retention().decisions(), "P1Y");
  EXPECT_EQ(cfg->retention().provision_records(), "P3Y");
  EXPECT_EQ(cfg->retention().withdrawn_consents(), "P3Y");
  EXPECT_EQ(cfg->retention().disclosure_reports(), "P3Y");
  EXPECT_EQ(cfg->audit_checkpoints().interval_seconds(), 60u);
  EXPECT_EQ(Load(Base() + "retention: {provision_records: P2Y}\n").message(),
            "retention.provision_records: must be at least P3Y (APPI Art. 30: "
            "records of provision are kept three years)");
  EXPECT_EQ(Load(Base() + "retention: {decisions: 1 year}\n").message(),
            "retention.decisions: \"1 year\" is not an ISO 8601 duration "
            "such as P1Y, P3Y, P90D");
  EXPECT_TRUE(Load(Base() + "retention: {provision_records: P5Y}\n").ok());
  EXPECT_EQ(
      Load(Base() + "audit_checkpoints: {interval_seconds: 7200}\n").message(),
      "audit_checkpoints.interval_seconds: must be at most 3600 (a "
      "checkpoint at least hourly)");
}

}  // namespace
}  // namespace gatekeeper

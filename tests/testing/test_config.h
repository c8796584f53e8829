// A small valid configuration shared by unit tests.
#ifndef GATEKEEPER_TESTS_TESTING_TEST_CONFIG_H_
#define GATEKEEPER_TESTS_TESTING_TEST_CONFIG_H_

#include <cstdlib>
#include <string>

#include "daemon/config/config.h"

namespace gatekeeper::testing {

// Companies and notices shared by unit and integration tests; callers add
// data_dir.
inline constexpr char kTestConfigYaml[] = R"yaml(listen: "127.0.0.1:0"
utc_offset: "+09:00"
companies:
  - {id: "hikari-net", legal_name: "ひかりネット株式会社", address: "東京都千代田区丸の内1-1-1", phone: "0120-000-111", representative: "代表取締役 山田太郎"}
  - {id: "denki-home", legal_name: "でんきホームサービス株式会社", address: "大阪府大阪市北区梅田2-2-2", phone: "0120-000-222", representative: "代表取締役 佐藤花子"}
notices:
  - {id: "ad-2026-04", purpose: AD_INSERT, company_ids: ["hikari-net", "denki-home"], text: "広告の同封に同意します"}
  - {id: "tm-2026-04", purpose: TELEMARKETING, company_ids: ["hikari-net"], text: "電話番号の提供に同意します"}
)yaml";

inline Config TestConfig() {
  auto c = ParseConfigYaml(
      std::string(kTestConfigYaml) + "data_dir: \"/nonexistent\"\n",
      "test.yaml");
  if (!c.ok() || !ValidateConfig(*c).ok()) std::abort();
  return *c;
}

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_TEST_CONFIG_H_

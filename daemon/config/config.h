// Loads and validates the daemon's YAML configuration. The schema is the proto
// message gatekeeper.config.v1.Config: YAML keys are its field names, enum
// values are written without their type prefix (AD_INSERT for
// PURPOSE_AD_INSERT). Every error names the file, line and key path, e.g.
// "gk.yaml:12: notices[0].purpose: unknown value "AD" (expected one of ...)".
// Thread-compatible: a loaded Config is immutable.
#ifndef GATEKEEPER_DAEMON_CONFIG_CONFIG_H_
#define GATEKEEPER_DAEMON_CONFIG_CONFIG_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gatekeeper/config/v1/config.pb.h"

namespace gatekeeper {

using config::v1::Company;
using config::v1::Config;
using config::v1::Notice;

// Parses YAML text onto Config without validating the values. `source` names
// the text in errors (a path).
absl::StatusOr<Config> ParseConfigYaml(std::string_view yaml,
                                       std::string_view source);

// Checks what the schema alone cannot: required keys, formats, uniqueness and
// references between sections. Applies defaults (max_batch).
absl::Status ValidateConfig(Config& config);

// Parses and validates YAML text; `source` (a path) names it in errors.
absl::StatusOr<Config> LoadConfigText(std::string_view yaml,
                                      std::string_view source);

// A config file's bytes (what its SHA-256 is taken over); NOT_FOUND
// "PATH: cannot read file" when it cannot be read.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// Reads, parses and validates a file.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// The default of Config.ad_display_items: the mail-order display items of
// 特定商取引法 Art. 11 and its ordinance.
const std::vector<std::string>& DefaultAdDisplayItems();

// Parses "+09:00" / "-05:30" into seconds east of UTC.
absl::StatusOr<int> ParseUtcOffset(std::string_view text);

// Lookup tables over a validated Config.
class ConfigIndex {
 public:
  explicit ConfigIndex(Config config);
  // The lookup tables point into config_.
  ConfigIndex(const ConfigIndex&) = delete;
  ConfigIndex& operator=(const ConfigIndex&) = delete;
  const Config& config() const { return config_; }
  const Company* FindCompany(std::string_view id) const;
  const Notice* FindNotice(std::string_view id) const;

 private:
  Config config_;
  std::map<std::string, const Company*, std::less<>> companies_;
  std::map<std::string, const Notice*, std::less<>> notices_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_CONFIG_CONFIG_H_

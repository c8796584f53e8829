// The configuration decisions and services read, replaced whole by a reload.
// Each request takes one snapshot (LiveConfig::Get) and reads everything from
// it, so no decision sees half of an old config and half of a new one; a
// reload publishes a new snapshot atomically. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_LIVE_CONFIG_H_
#define GATEKEEPER_DAEMON_SERVER_LIVE_CONFIG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"
#include "daemon/policy/calling.h"
#include "daemon/server/principals.h"

namespace gatekeeper {

// A validated config with what is derived from it once.
struct ConfigSnapshot {
  ConfigSnapshot(Config c, std::string file_sha256, uint64_t gen)
      : index(std::move(c)),
        rules(policy::CallingRulesFromConfig(index.config())),
        principals(index.config()),
        sha256(std::move(file_sha256)),
        generation(gen) {}

  const Config& config() const { return index.config(); }

  const ConfigIndex index;
  const policy::CallingRules rules;
  const Principals principals;
  const std::string sha256;   // hex SHA-256 of the file's bytes ("" if none)
  const uint64_t generation;  // 1 at start, +1 per reload
};

class LiveConfig {
 public:
  explicit LiveConfig(std::shared_ptr<const ConfigSnapshot> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const ConfigSnapshot> Get() const {
    return current_.load(std::memory_order_acquire);
  }
  void Set(std::shared_ptr<const ConfigSnapshot> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const ConfigSnapshot>> current_;
};

// A reload checked against the running config, ready to be published.
struct ReloadPlan {
  std::shared_ptr<const ConfigSnapshot> next;
  // The top-level keys whose values differ (proto field names), in schema
  // order; empty when the file changed nothing.
  std::vector<std::string> changed;
};

// The keys a running daemon cannot take up: its listen addresses, data_dir,
// and what its store and event log were opened with.
const std::vector<std::string>& RestartOnlyKeys();

// Parses and validates `yaml` (read from `path`), refuses any change of a
// restart-only key (FAILED_PRECONDITION naming each: "listen, data_dir cannot
// change while the daemon runs; restart it to apply them"), and returns the
// snapshot to publish with the file's SHA-256. Pure: nothing is changed.
absl::StatusOr<ReloadPlan> PlanReload(const ConfigSnapshot& current,
                                      std::string_view yaml,
                                      std::string_view path);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_LIVE_CONFIG_H_

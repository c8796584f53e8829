// The config loader: YAML text to a validated Config, then the lookup index
// the daemon builds from it. Any input must give a Config or an error, never a
// crash: the daemon reloads its file on SIGHUP while serving.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto config = gatekeeper::LoadConfigText(yaml, "fuzz.yaml");
  if (config.ok()) {
    gatekeeper::ConfigIndex index(*std::move(config));
    for (const auto& c : index.config().companies()) {
      if (index.FindCompany(c.id()) == nullptr) __builtin_trap();
    }
  }
  return 0;
}

#include "daemon/server/live_config.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

#include "absl/status/status.h"
#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"

namespace gatekeeper {

const std::vector<std::string>& RestartOnlyKeys() {
  static const std::vector<std::string> keys = {
      "listen", "data_dir",          "utc_offset", "max_batch", "event_log",
      "http",   "audit_checkpoints", "tls",        "limits"};
  return keys;
}

absl::StatusOr<ReloadPlan> PlanReload(const ConfigSnapshot& current,
                                      std::string_view yaml,
                                      std::string_view path) {
  auto config = LoadConfigText(yaml, path);
  if (!config.ok()) return config.status();
  const Config& now = current.config();
  const google::protobuf::Descriptor* d = Config::descriptor();
  ReloadPlan plan;
  std::vector<std::string> refused;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    google::protobuf::util::MessageDifferencer diff;
    std::vector<const google::protobuf::FieldDescriptor*> only = {f};
    if (diff.CompareWithFields(now, *config, only, only)) continue;
    const bool restart_only =
        std::find(RestartOnlyKeys().begin(), RestartOnlyKeys().end(),
                  f->name()) != RestartOnlyKeys().end();
    (restart_only ? refused : plan.changed).push_back(f->name());
  }
  if (!refused.empty()) {
    std::string names;
    for (const std::string& n : refused) {
      StrAppend(&names, names.empty() ? "" : ", ", n);
    }
    return absl::FailedPreconditionError(
        StrCat(path, ": ", names,
               " cannot change while the daemon runs; restart it to apply ",
               refused.size() == 1 ? "it" : "them", " (nothing was reloaded)"));
  }
  plan.next = std::make_shared<const ConfigSnapshot>(
      *std::move(config), ToHex(Sha256(yaml)), current.generation + 1);
  return plan;
}

}  // namespace gatekeeper

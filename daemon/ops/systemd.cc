#include "daemon/ops/systemd.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstring>

namespace gatekeeper::ops {
namespace {

// sd_notify returns 0 without NOTIFY_SOCKET, > 0 once sent, < 0 (-errno) on
// failure. A failure is reported (a diagnostics line on stderr), not fatal:
// under Type=notify systemd will time the start out, and the line says why.
void Notify(const char* state) {
  const int r = ::sd_notify(/*unset_environment=*/0, state);
  if (r < 0) {
    spdlog::warn("sd_notify({}): {}", state, std::strerror(-r));
  }
}

}  // namespace

void NotifyReady() { Notify("READY=1"); }

void NotifyReloading() { Notify("RELOADING=1"); }

void NotifyStopping() { Notify("STOPPING=1"); }

}  // namespace gatekeeper::ops

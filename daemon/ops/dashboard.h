// The page served at / by the HTTP side: HTML, CSS and JavaScript in the
// binary (no CDN, no network fetch), reading /metrics and /readyz.
#ifndef GATEKEEPER_DAEMON_OPS_DASHBOARD_H_
#define GATEKEEPER_DAEMON_OPS_DASHBOARD_H_

#include <string_view>

namespace gatekeeper {

std::string_view DashboardHtml();

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_DASHBOARD_H_

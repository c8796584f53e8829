// The page served at / by the HTTP side: one HTML document with its CSS and
// JavaScript (daemon/ops/dashboard/index.html) built into the binary; no
// CDN, and no request but GET /api/dashboard (dashboard_data.h), which it
// polls every 2 s. Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_DASHBOARD_H_
#define GATEKEEPER_DAEMON_OPS_DASHBOARD_H_

#include <string_view>

namespace gatekeeper {

std::string_view DashboardHtml();

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_DASHBOARD_H_

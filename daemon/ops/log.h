// The daemon's diagnostics (start, stop, errors, slow commits): JSON lines
// on stderr through spdlog, one object a line:
//   {"ts":"2026-12-01T02:39:06.205243+00:00","level":"info","msg":"..."}
// ts in UTC; level trace, debug, info, warning, error or critical; msg
// JSON-escaped. Call InitLogging once, early in main.
#ifndef GATEKEEPER_DAEMON_OPS_LOG_H_
#define GATEKEEPER_DAEMON_OPS_LOG_H_

#include <spdlog/spdlog.h>

namespace gatekeeper {

void InitLogging();

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_LOG_H_

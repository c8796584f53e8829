// The dashboard's data, served as GET /api/dashboard: one JSON object with
// health, the audit head and the last VerifyAudit, decisions per minute over
// the last hour and since start by purpose and verdict, the top block
// reasons, disclosure violations, and the recent decisions and violations.
//
// Building is split so that it can be tested without a daemon:
// BuildDashboardJson is a pure function of DashboardInputs;
// CollectDashboard gathers those inputs from the running pieces. The recent
// rows are read from the tail of the audit log at request time (nothing is
// kept on the decision path for them) and flattened by event_json, so phone
// numbers only ever appear masked. Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_DASHBOARD_DATA_H_
#define GATEKEEPER_DAEMON_OPS_DASHBOARD_DATA_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/audit/chain.h"
#include "daemon/common/clock.h"
#include "daemon/ops/audit_feed.h"
#include "daemon/ops/event_log.h"
#include "daemon/ops/last_verify.h"
#include "daemon/ops/metrics.h"
#include "daemon/store/store.h"

namespace gatekeeper {

// How much of the log a request reads, and how much of it it shows.
inline constexpr uint32_t kDashboardTailEntries = 500;
inline constexpr size_t kDashboardRecentRows = 50;
inline constexpr size_t kDashboardRecentViolations = 20;
inline constexpr size_t kDashboardTopReasons = 8;

struct EventLogHealth {
  uint64_t lag = 0;           // durable entries not yet in the file
  uint64_t failed_lines = 0;  // lines that failed when first tried
};

struct DashboardInputs {
  Micros now = 0;
  int utc_offset_seconds = 0;  // times are shown at the deployment's offset
  bool ready = false;
  std::string not_ready_why;
  std::optional<EventLogHealth> event_log;  // nullopt: no event log
  uint64_t head_seq = 0;
  std::optional<VerifyOutcome> last_verify;  // nullopt: none since start
  DecisionStats stats;
  // The last entries of the audit log, in seq order.
  std::vector<AuditRecord> tail;
  // Why the tail could not be read (the rows are then missing); empty when
  // it was.
  std::string tail_error;
};

// The JSON document (UTF-8; invalid bytes replaced).
std::string BuildDashboardJson(const DashboardInputs& in);

// What CollectDashboard reads; all of it outlives the call.
struct DashboardSources {
  const Metrics& metrics;
  Store& store;
  const AuditFeed& feed;      // the durable head
  const EventLog* event_log;  // null without one
  const LastVerify& last_verify;
  std::function<bool(std::string* why)> ready;
  const Clock& clock;
  int utc_offset_seconds = 0;
};

// Reads the inputs: counts from Metrics, the last kDashboardTailEntries
// entries up to the durable head from the store. A failed read of the log is
// reported in tail_error, not as a failure: the rest is still worth showing.
DashboardInputs CollectDashboard(const DashboardSources& s);

// BuildDashboardJson(CollectDashboard(s)).
std::string DashboardJson(const DashboardSources& s);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_DASHBOARD_DATA_H_

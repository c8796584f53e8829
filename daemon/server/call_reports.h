// What dialers report after an ALLOWed dial: the disclosures the agent made
// and how the call ended. Glue between DialGate and the store: validate,
// fingerprint, and let the store judge the report (through pure policy)
// against the logged decision inside its writer, so a report and the effects
// it has (do-not-solicit entries, withdrawals) commit with their audit entry.
// Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_CALL_REPORTS_H_
#define GATEKEEPER_DAEMON_SERVER_CALL_REPORTS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/common/phone.h"
#include "daemon/ops/metrics.h"
#include "daemon/server/live_config.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/dial_gate.pb.h"

namespace gatekeeper {

class CallReports {
 public:
  // `metrics` (optional) counts disclosure violations.
  CallReports(Store& store, const LiveConfig& config,
              const Pseudonymizer& pseudonymizer, const Clock& clock,
              Metrics* metrics = nullptr)
      : store_(store),
        config_(config),
        pseudonymizer_(pseudonymizer),
        clock_(clock),
        metrics_(metrics) {}

  // `done` runs exactly once, possibly on another thread.
  void ReportDisclosure(
      const v1::ReportDisclosureRequest& req,
      std::function<void(absl::StatusOr<v1::ReportDisclosureResponse>)> done);
  void ReportOutcome(
      const v1::ReportOutcomeRequest& req,
      std::function<void(absl::StatusOr<v1::ReportOutcomeResponse>)> done);

 private:
  Store& store_;
  const LiveConfig& config_;
  const Pseudonymizer& pseudonymizer_;
  const Clock& clock_;
  Metrics* const metrics_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_CALL_REPORTS_H_

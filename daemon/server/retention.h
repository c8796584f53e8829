// Retention (config `retention`; README "Retention"): turns the configured
// periods into a purge plan at the current time and runs it in steps, and
// runs it daily in the background. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_RETENTION_H_
#define GATEKEEPER_DAEMON_SERVER_RETENTION_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/server/audit_checkpoints.h"
#include "daemon/server/live_config.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/admin_service.pb.h"

namespace gatekeeper {

class Retention {
 public:
  Retention(Store& store, AuditCheckpoints& checkpoints,
            const LiveConfig& config, const Clock& clock)
      : store_(store),
        checkpoints_(checkpoints),
        config_(config),
        clock_(clock) {}
  ~Retention() { Stop(); }

  // Purges after `first` and then every `period`, until Stop.
  void StartDaily(std::chrono::milliseconds first,
                  std::chrono::milliseconds period);
  void Stop();

  // One purge (or its dry run), in as many steps as it takes.
  absl::StatusOr<v1::PurgeResponse> Run(bool dry_run,
                                        const std::string& requested_by);

 private:
  Store& store_;
  AuditCheckpoints& checkpoints_;
  const LiveConfig& config_;
  const Clock& clock_;
  std::mutex run_mu_;  // one purge at a time

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_RETENTION_H_

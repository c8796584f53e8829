// The outcome of the last VerifyAudit since the daemon started, for the
// dashboard: the RPC handler records it, the dashboard reads it. Owned by
// the daemon. Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_LAST_VERIFY_H_
#define GATEKEEPER_DAEMON_OPS_LAST_VERIFY_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/audit/chain.h"
#include "daemon/common/clock.h"
#include "daemon/common/strings.h"

namespace gatekeeper {

struct VerifyOutcome {
  Micros at = 0;  // when the verification finished
  bool ok = false;
  uint64_t entries_checked = 0;
  // The first problem found; empty when ok.
  std::string problem;
};

class LastVerify {
 public:
  // A verification that could not read the log is recorded as not ok, with
  // the error as its problem: the chain was not shown to be intact.
  void Record(Micros at, const absl::StatusOr<VerifyResult>& result) {
    VerifyOutcome o;
    o.at = at;
    if (!result.ok()) {
      o.problem = StrCat("could not verify: ", result.status().message());
    } else {
      o.ok = result->ok;
      o.entries_checked = result->entries_checked;
      if (!result->ok) o.problem = result->detail;
    }
    std::lock_guard<std::mutex> lock(mu_);
    last_ = std::move(o);
  }

  // Nullopt when no verification ran since start.
  std::optional<VerifyOutcome> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  mutable std::mutex mu_;
  std::optional<VerifyOutcome> last_;  // guarded by mu_
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_LAST_VERIFY_H_

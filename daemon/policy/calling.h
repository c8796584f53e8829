// The calling rules of a deployment, pre-parsed from the config: calling hours
// and blackout dates in local time (at utc_offset), and the frequency caps on
// ALLOWed dials to one number. Pure; thread-safe once built.
//
// A dial is inside the calling hours when start <= local time < end, where the
// deployment's hours are narrowed by the campaign's window when it has one,
// and the local date is not a blackout date. The caps count ALLOWed dials:
// per number and campaign on the local calendar day, and per number and seller
// over the 30 days before now.
#ifndef GATEKEEPER_DAEMON_POLICY_CALLING_H_
#define GATEKEEPER_DAEMON_POLICY_CALLING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/clock.h"
#include "daemon/config/config.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper::policy {

inline constexpr Micros kCapWindow = 30 * 86'400'000'000LL;

struct CallingRules {
  int utc_offset_seconds = 9 * 3600;
  int start_minute = 9 * 60;  // [start_minute, end_minute) of the local day
  int end_minute = 20 * 60;
  std::vector<int64_t> blackout_days;  // local days since 1970-01-01, sorted
  uint32_t cap_per_campaign_day = 0;   // 0 = no cap
  uint32_t cap_per_company_30d = 0;    // 0 = no cap

  bool has_caps() const {
    return cap_per_campaign_day != 0 || cap_per_company_30d != 0;
  }
};

// From a validated config (ValidateConfig has checked every value).
CallingRules CallingRulesFromConfig(const Config& config);

// Why `now` is outside the calling hours for `campaign` (a CALL campaign,
// whose window narrows the deployment's hours); nullopt when calls are
// allowed.
std::optional<std::string> OutsideCallingHours(const CallingRules& rules,
                                               const v1::Campaign& campaign,
                                               Micros now);

// The periods the caps count ALLOWed dials in: [day_start, now] for the
// campaign, (since_30d, now] for the seller.
struct CapWindows {
  Micros day_start = 0;
  Micros since_30d = 0;
};
CapWindows CapWindowsAt(const CallingRules& rules, Micros now);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_CALLING_H_

// ISO 8601 durations for retention periods ("P1Y", "P3Y", "P18M", "P90D",
// "P1Y6M", "PT12H"). Calendar units are counted long so that nothing is
// purged before its time: a year is 366 days and a month 31.
#ifndef GATEKEEPER_DAEMON_COMMON_ISO_DURATION_H_
#define GATEKEEPER_DAEMON_COMMON_ISO_DURATION_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"

namespace gatekeeper {

// INVALID_ARGUMENT (a message without the key, which the caller names) for
// anything but P[nY][nM][nW][nD][T[nH][nM][nS]] with at least one part.
absl::StatusOr<Micros> ParseIsoDuration(std::string_view text);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_ISO_DURATION_H_

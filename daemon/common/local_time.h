// Local civil time at a fixed UTC offset (Japan has no daylight saving time):
// the calendar day and minute of an instant, "HH:MM" times of day and ISO
// dates. Pure functions; thread-safe.
#ifndef GATEKEEPER_DAEMON_COMMON_LOCAL_TIME_H_
#define GATEKEEPER_DAEMON_COMMON_LOCAL_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"

namespace gatekeeper {

inline constexpr Micros kMicrosPerMinute = 60'000'000;
inline constexpr Micros kMicrosPerDay = 86'400'000'000;

// An instant as seen at a UTC offset.
struct LocalTime {
  int64_t day = 0;  // days since 1970-01-01 (local calendar)
  int minute = 0;   // minutes since local midnight, 0..1439
};

LocalTime ToLocalTime(Micros t, int utc_offset_seconds);

// The instant of local midnight that starts `day`.
Micros LocalDayStart(int64_t day, int utc_offset_seconds);

// "HH:MM" (00:00-23:59; "24:00" too when allow_end_of_day) to minutes since
// midnight. InvalidArgument otherwise.
absl::StatusOr<int> ParseTimeOfDay(std::string_view text,
                                   bool allow_end_of_day);
std::string FormatTimeOfDay(int minute);  // "09:00"; 1440 -> "24:00"

// "YYYY-MM-DD" (a real date of the proleptic Gregorian calendar) to days since
// 1970-01-01. InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(int64_t day);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_LOCAL_TIME_H_

#include "daemon/common/local_time.h"

#include <chrono>
#include <cstdio>

#include "absl/status/status.h"

namespace gatekeeper {
namespace {

// Floor division: local days before 1970 stay on the right side of midnight.
int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool TwoDigits(std::string_view s, int* out) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') {
    return false;
  }
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return true;
}

}  // namespace

LocalTime ToLocalTime(Micros t, int utc_offset_seconds) {
  const Micros local = t + static_cast<Micros>(utc_offset_seconds) * 1'000'000;
  LocalTime lt;
  lt.day = FloorDiv(local, kMicrosPerDay);
  lt.minute =
      static_cast<int>((local - lt.day * kMicrosPerDay) / kMicrosPerMinute);
  return lt;
}

Micros LocalDayStart(int64_t day, int utc_offset_seconds) {
  return day * kMicrosPerDay -
         static_cast<Micros>(utc_offset_seconds) * 1'000'000;
}

absl::StatusOr<int> ParseTimeOfDay(std::string_view text,
                                   bool allow_end_of_day) {
  int hh = 0, mm = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !TwoDigits(text.substr(0, 2), &hh) ||
      !TwoDigits(text.substr(3, 2), &mm) || mm > 59 ||
      !(hh < 24 || (allow_end_of_day && hh == 24 && mm == 0))) {
    return absl::InvalidArgumentError(
        allow_end_of_day ? "expected HH:MM between 00:00 and 24:00"
                         : "expected HH:MM between 00:00 and 23:59");
  }
  return hh * 60 + mm;
}

std::string FormatTimeOfDay(int minute) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

absl::StatusOr<int64_t> ParseIsoDate(std::string_view text) {
  int y1 = 0, y2 = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !TwoDigits(text.substr(0, 2), &y1) ||
      !TwoDigits(text.substr(2, 2), &y2) || !TwoDigits(text.substr(5, 2), &m) ||
      !TwoDigits(text.substr(8, 2), &d)) {
    return absl::InvalidArgumentError("expected an ISO date YYYY-MM-DD");
  }
  const std::chrono::year_month_day ymd{
      std::chrono::year{y1 * 100 + y2},
      std::chrono::month{static_cast<unsigned>(m)},
      std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    return absl::InvalidArgumentError("is not a date of the calendar");
  }
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::string FormatIsoDate(int64_t day) {
  const std::chrono::year_month_day ymd{
      std::chrono::sys_days{std::chrono::days{day}}};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace gatekeeper

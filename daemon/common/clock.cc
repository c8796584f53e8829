#include "daemon/common/clock.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>

namespace gatekeeper {

Micros SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

Micros ToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000 + ts.nanos() / 1000;
}

google::protobuf::Timestamp FromMicros(Micros us) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(us);
}

std::string FormatRfc3339(Micros us) {
  // By hand: TimeUtil::ToString goes through strftime and printf, a visible
  // share of an ALLOWed dial (which writes two times into its entry). The
  // output is the same (tests/unit/clock_test.cc): UTC, fractional seconds in
  // 0, 3 or 6 digits as the value needs.
  Micros secs = us / 1'000'000;
  Micros frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  Micros days = secs / 86400;
  Micros rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant): days since 1970-01-01 to y-m-d.
  days += 719468;
  const Micros era = (days >= 0 ? days : days - 146096) / 146097;
  const Micros doe = days - era * 146097;
  const Micros yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  Micros y = yoe + era * 400;
  const Micros doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const Micros mp = (5 * doy + 2) / 153;
  const Micros d = doy - (153 * mp + 2) / 5 + 1;
  const Micros m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  if (y < 0 || y > 9999) {
    return google::protobuf::util::TimeUtil::ToString(FromMicros(us));
  }
  char buf[40];
  char* p = buf;
  auto put = [&p](Micros v, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += digits;
  };
  put(y, 4);
  *p++ = '-';
  put(m, 2);
  *p++ = '-';
  put(d, 2);
  *p++ = 'T';
  put(rem / 3600, 2);
  *p++ = ':';
  put(rem / 60 % 60, 2);
  *p++ = ':';
  put(rem % 60, 2);
  if (frac != 0) {
    *p++ = '.';
    if (frac % 1000 == 0) {
      put(frac / 1000, 3);
    } else {
      put(frac, 6);
    }
  }
  *p++ = 'Z';
  return std::string(buf, p);
}

}  // namespace gatekeeper

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
  return google::protobuf::util::TimeUtil::ToString(FromMicros(us));
}

}  // namespace gatekeeper

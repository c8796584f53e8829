// Time as the daemon sees it: microseconds since the Unix epoch, read through a
// Clock so tests can move time. Thread-safe.
#ifndef GATEKEEPER_DAEMON_COMMON_CLOCK_H_
#define GATEKEEPER_DAEMON_COMMON_CLOCK_H_

#include <google/protobuf/timestamp.pb.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace gatekeeper {

// Microseconds since 1970-01-01T00:00:00Z.
using Micros = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros Now() const = 0;
};

// The real clock (CLOCK_REALTIME).
class SystemClock final : public Clock {
 public:
  Micros Now() const override;
  static const SystemClock& Get();
};

// A clock that only moves when told; for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Micros now) : now_(now) {}
  Micros Now() const override { return now_.load(); }
  void Set(Micros now) { now_.store(now); }
  void Advance(Micros by) { now_.fetch_add(by); }

 private:
  std::atomic<Micros> now_;
};

Micros ToMicros(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp FromMicros(Micros us);
// RFC 3339 in UTC with microseconds trimmed when zero, e.g.
// "2026-04-01T09:00:00Z".
std::string FormatRfc3339(Micros us);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_CLOCK_H_

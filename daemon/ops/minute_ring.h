// Decisions per minute over the last hour, by purpose and verdict, for the
// dashboard: a ring of 60 slots, slot m % 60 holding minute m (minutes since
// the epoch). The caller passes each decision's time in, so tests drive the
// clock. Thread-safe.
//
// Counting is a relaxed atomic add when the slot already holds the minute;
// only the first decision of a new minute takes a mutex, zeroes the slot and
// publishes the minute with release ordering. A counter who saw the minute
// (acquire) therefore adds after the zeroing and is never lost. The one
// count that can land in the wrong minute is one whose decision is 60
// minutes older than the slot's new minute (a thread stalled for an hour);
// older decisions than the slot holds are left out of the ring (the totals
// in Metrics still count them).
#ifndef GATEKEEPER_DAEMON_OPS_MINUTE_RING_H_
#define GATEKEEPER_DAEMON_OPS_MINUTE_RING_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace gatekeeper {

class MinuteRing {
 public:
  // Purposes by their proto enum number (0 UNSPECIFIED, 1 AD_INSERT,
  // 2 TELEMARKETING); out of range counts as 0.
  static constexpr int kPurposes = 3;
  static constexpr int kMinutes = 60;
  static constexpr int64_t kMinuteMicros = 60'000'000;

  // One minute's counts: [purpose][verdict], verdict 0 BLOCK, 1 ALLOW.
  struct Minute {
    int64_t start_micros = 0;  // the minute's first microsecond
    std::array<std::array<uint64_t, 2>, kPurposes> counts{};
  };

  // `n` decisions of `purpose` with the verdict, decided at `at_micros`.
  void Add(int purpose, bool allow, uint64_t n, int64_t at_micros);

  // The 60 minutes ending with the one holding `now_micros`, oldest first;
  // minutes nothing was counted in are zero.
  std::vector<Minute> Last60(int64_t now_micros) const;

 private:
  struct Slot {
    // The minute the counts belong to; -1 before its first use. Written
    // under reset_mu_ with release, read with acquire.
    std::atomic<int64_t> minute{-1};
    // Zero from the start (C++20 value-initializes std::atomic).
    std::array<std::array<std::atomic<uint64_t>, 2>, kPurposes> counts{};
  };
  static int64_t MinuteOf(int64_t micros);
  // Makes `slot` hold `minute` unless it holds a later one; false then.
  bool Claim(Slot& slot, int64_t minute);

  std::array<Slot, kMinutes> slots_;
  std::mutex reset_mu_;  // serializes a slot's move to a new minute
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_MINUTE_RING_H_

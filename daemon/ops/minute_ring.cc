#include "daemon/ops/minute_ring.h"

namespace gatekeeper {

int64_t MinuteRing::MinuteOf(int64_t micros) {
  // Floor, also for times before the epoch (a test's, or a broken clock's).
  int64_t m = micros / kMinuteMicros;
  if (micros % kMinuteMicros < 0) --m;
  return m;
}

bool MinuteRing::Claim(Slot& slot, int64_t minute) {
  std::lock_guard<std::mutex> lock(reset_mu_);
  const int64_t held = slot.minute.load(std::memory_order_relaxed);
  if (held == minute) return true;  // another counter moved it meanwhile
  if (held > minute) return false;  // a decision older than the slot holds
  for (auto& by_verdict : slot.counts) {
    for (auto& c : by_verdict) c.store(0, std::memory_order_relaxed);
  }
  // Counters that see the new minute (acquire) add after the zeroing.
  slot.minute.store(minute, std::memory_order_release);
  return true;
}

void MinuteRing::Add(int purpose, bool allow, uint64_t n, int64_t at_micros) {
  if (n == 0) return;
  const int64_t minute = MinuteOf(at_micros);
  int64_t index = minute % kMinutes;
  if (index < 0) index += kMinutes;
  Slot& slot = slots_[static_cast<size_t>(index)];
  if (slot.minute.load(std::memory_order_acquire) != minute &&
      !Claim(slot, minute)) {
    return;
  }
  const size_t p = purpose >= 0 && purpose < kPurposes ? purpose : 0;
  slot.counts[p][allow ? 1 : 0].fetch_add(n, std::memory_order_relaxed);
}

std::vector<MinuteRing::Minute> MinuteRing::Last60(int64_t now_micros) const {
  const int64_t last = MinuteOf(now_micros);
  std::vector<Minute> out(kMinutes);
  for (int i = 0; i < kMinutes; ++i) {
    const int64_t minute = last - (kMinutes - 1) + i;
    Minute& m = out[static_cast<size_t>(i)];
    m.start_micros = minute * kMinuteMicros;
    int64_t index = minute % kMinutes;
    if (index < 0) index += kMinutes;
    const Slot& slot = slots_[static_cast<size_t>(index)];
    // A slot that holds another minute counts nothing for this one. (Being
    // reset while read, it can show part of a minute just leaving the hour.)
    if (slot.minute.load(std::memory_order_acquire) != minute) continue;
    for (int p = 0; p < kPurposes; ++p) {
      for (int v = 0; v < 2; ++v) {
        m.counts[p][v] = slot.counts[p][v].load(std::memory_order_relaxed);
      }
    }
  }
  return out;
}

}  // namespace gatekeeper

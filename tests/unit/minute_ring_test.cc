// The dashboard's minutes (daemon/ops/minute_ring.h): counts land in the
// minute of the decision's time, a slot is reused for the minute an hour
// later, and a new minute's reset loses no concurrent count.
#include "daemon/ops/minute_ring.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gatekeeper {
namespace {

constexpr int kAdInsert = 1;
constexpr int kTelemarketing = 2;
constexpr int64_t kMinute = MinuteRing::kMinuteMicros;
// 2026-12-01T00:30:00Z, a minute's start.
constexpr int64_t kT0 = 1'796'085'000'000'000;

uint64_t Count(const MinuteRing::Minute& m, int purpose, bool allow) {
  return m.counts[static_cast<size_t>(purpose)][allow ? 1 : 0];
}

TEST(MinuteRingTest, SixtyMinutesOldestFirstEndingWithNow) {
  MinuteRing ring;
  const auto minutes = ring.Last60(kT0 + 59 * kMinute + 30'000'000);
  ASSERT_EQ(minutes.size(), 60u);
  EXPECT_EQ(minutes.front().start_micros, kT0);
  EXPECT_EQ(minutes.back().start_micros, kT0 + 59 * kMinute);
  for (const auto& m : minutes) {
    for (int p = 0; p < MinuteRing::kPurposes; ++p) {
      EXPECT_EQ(Count(m, p, true) + Count(m, p, false), 0u);
    }
  }
}

TEST(MinuteRingTest, CountsLandInTheMinuteOfTheirTime) {
  MinuteRing ring;
  ring.Add(kAdInsert, true, 1, kT0);                // its first microsecond
  ring.Add(kAdInsert, true, 2, kT0 + kMinute - 1);  // its last
  ring.Add(kAdInsert, false, 1, kT0 + kMinute);     // the next minute
  ring.Add(kTelemarketing, false, 5, kT0 + kMinute + 7);
  const auto minutes = ring.Last60(kT0 + kMinute + 10);
  const auto& before = minutes[58];
  const auto& last = minutes[59];
  EXPECT_EQ(before.start_micros, kT0);
  EXPECT_EQ(Count(before, kAdInsert, true), 3u);
  EXPECT_EQ(Count(before, kAdInsert, false), 0u);
  EXPECT_EQ(Count(last, kAdInsert, false), 1u);
  EXPECT_EQ(Count(last, kTelemarketing, false), 5u);
  EXPECT_EQ(Count(last, kTelemarketing, true), 0u);
}

TEST(MinuteRingTest, AMinuteLeavesTheWindowAfterAnHour) {
  MinuteRing ring;
  ring.Add(kAdInsert, true, 4, kT0);
  EXPECT_EQ(Count(ring.Last60(kT0 + 59 * kMinute).front(), kAdInsert, true),
            4u);
  // An hour on, nothing new was counted: kT0's slot still holds kT0, which
  // is no longer among the minutes shown.
  for (const auto& m : ring.Last60(kT0 + 60 * kMinute)) {
    EXPECT_EQ(Count(m, kAdInsert, true), 0u) << m.start_micros;
  }
}

TEST(MinuteRingTest, TheSlotIsReusedAnHourLaterFromZero) {
  MinuteRing ring;
  ring.Add(kAdInsert, true, 4, kT0);
  ring.Add(kAdInsert, false, 2, kT0);
  ring.Add(kAdInsert, true, 1, kT0 + 60 * kMinute);  // the same slot
  const auto minutes = ring.Last60(kT0 + 60 * kMinute);
  EXPECT_EQ(minutes.back().start_micros, kT0 + 60 * kMinute);
  EXPECT_EQ(Count(minutes.back(), kAdInsert, true), 1u);
  EXPECT_EQ(Count(minutes.back(), kAdInsert, false), 0u);
}

TEST(MinuteRingTest, ADecisionOlderThanItsSlotsMinuteIsLeftOut) {
  MinuteRing ring;
  ring.Add(kAdInsert, true, 1, kT0 + 60 * kMinute);
  ring.Add(kAdInsert, true, 9, kT0);  // a straggler an hour late
  const auto minutes = ring.Last60(kT0 + 60 * kMinute);
  EXPECT_EQ(Count(minutes.back(), kAdInsert, true), 1u);
}

TEST(MinuteRingTest, AnUnknownPurposeCountsAsUnspecified) {
  MinuteRing ring;
  ring.Add(7, true, 1, kT0);
  ring.Add(-1, false, 1, kT0);
  const auto minutes = ring.Last60(kT0);  // the vector outlives m
  const auto& m = minutes.back();
  EXPECT_EQ(Count(m, 0, true), 1u);
  EXPECT_EQ(Count(m, 0, false), 1u);
}

TEST(MinuteRingTest, TimesBeforeTheEpochFindTheirMinute) {
  MinuteRing ring;
  ring.Add(kAdInsert, true, 1, -1);  // 1969-12-31T23:59:59.999999Z
  const auto minutes = ring.Last60(-1);
  EXPECT_EQ(minutes.back().start_micros, -kMinute);
  EXPECT_EQ(Count(minutes.back(), kAdInsert, true), 1u);
}

TEST(MinuteRingTest, ConcurrentCountsAcrossANewMinuteAreNotLost) {
  MinuteRing ring;
  // The slot holds the minute an hour earlier, with counts to be reset.
  ring.Add(kAdInsert, true, 1000, kT0 - 60 * kMinute);
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ring, t] {
      for (int i = 0; i < kEach; ++i) {
        ring.Add(t % 2 == 0 ? kAdInsert : kTelemarketing, i % 3 != 0, 1,
                 kT0 + i);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto minutes = ring.Last60(kT0);  // the vector outlives m
  const auto& m = minutes.back();
  uint64_t all = 0;
  for (int p = 0; p < MinuteRing::kPurposes; ++p) {
    all += Count(m, p, true) + Count(m, p, false);
  }
  EXPECT_EQ(all, static_cast<uint64_t>(kThreads) * kEach);
  EXPECT_EQ(Count(m, kAdInsert, true) + Count(m, kAdInsert, false),
            static_cast<uint64_t>(kThreads / 2) * kEach);
}

}  // namespace
}  // namespace gatekeeper

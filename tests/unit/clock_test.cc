// Time formatting and local time: the hand-written RFC 3339 formatter against
// protobuf's TimeUtil, and the local-time helpers at their edges.
#include "daemon/common/clock.h"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <random>

#include "daemon/common/local_time.h"

namespace gatekeeper {
namespace {

std::string Protobufs(Micros us) {
  return google::protobuf::util::TimeUtil::ToString(FromMicros(us));
}

TEST(ClockTest, Rfc3339IsWhatProtobufPrints) {
  for (Micros us :
       {Micros{0}, Micros{1}, Micros{999}, Micros{1000}, Micros{1'000'000},
        Micros{-1}, Micros{-1'000'000},
        Micros{951'782'400'000'000},  // 2000-02-29
        Micros{1'780'000'000'123'000}, Micros{1'874'000'000'123'456},
        Micros{253'402'300'799'999'999}}) {  // 9999-12-31T23:59:59
    EXPECT_EQ(FormatRfc3339(us), Protobufs(us)) << us;
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<Micros> any(0, 4'102'444'800'000'000);  // 2100
  for (int i = 0; i < 100000; ++i) {
    Micros us = any(rng);
    if (i % 3 == 0) us -= us % 1000;       // millisecond precision
    if (i % 5 == 0) us -= us % 1'000'000;  // whole seconds
    ASSERT_EQ(FormatRfc3339(us), Protobufs(us)) << us;
  }
}

TEST(LocalTimeTest, DaysAndMinutesAtAnOffset) {
  // 2026-05-28T20:26:40Z is 2026-05-29 05:26 at +09:00.
  const Micros t = 1'780'000'000'000'000;
  const LocalTime jst = ToLocalTime(t, 9 * 3600);
  EXPECT_EQ(FormatIsoDate(jst.day), "2026-05-29");
  EXPECT_EQ(jst.minute, 5 * 60 + 26);
  EXPECT_EQ(FormatIsoDate(ToLocalTime(t, 0).day), "2026-05-28");
  EXPECT_EQ(LocalDayStart(jst.day, 9 * 3600),
            t - (5 * 60 + 26) * kMicrosPerMinute - 40'000'000);
  // Before 1970 the day is still the calendar's.
  EXPECT_EQ(FormatIsoDate(ToLocalTime(-1, 0).day), "1969-12-31");
}

TEST(LocalTimeTest, ParsesTimesOfDayAndDates) {
  EXPECT_EQ(*ParseTimeOfDay("09:00", false), 540);
  EXPECT_EQ(*ParseTimeOfDay("24:00", true), 1440);
  EXPECT_FALSE(ParseTimeOfDay("24:00", false).ok());
  EXPECT_FALSE(ParseTimeOfDay("24:01", true).ok());
  EXPECT_FALSE(ParseTimeOfDay("9:00", false).ok());
  EXPECT_FALSE(ParseTimeOfDay("09:60", false).ok());
  EXPECT_EQ(FormatTimeOfDay(1440), "24:00");
  EXPECT_EQ(FormatIsoDate(*ParseIsoDate("2028-02-29")), "2028-02-29");
  EXPECT_FALSE(ParseIsoDate("2027-02-29").ok());
  EXPECT_FALSE(ParseIsoDate("2026-13-01").ok());
  EXPECT_FALSE(ParseIsoDate("2026/12/31").ok());
}

}  // namespace
}  // namespace gatekeeper

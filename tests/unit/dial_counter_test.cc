// The in-memory indexes behind the dial rules: DialCounter (ALLOWed dials per
// number in the cap windows) and DoNotSolicitIndex (active entries by number
// and by customer).
#include "daemon/store/dial_counter.h"

#include <gtest/gtest.h>

#include "daemon/store/do_not_solicit_index.h"

namespace gatekeeper {
namespace {

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kNow = 1'780'000'000'000'000;
const std::string kA(32, 'a'), kB(32, 'b');

TEST(DialCounterTest, CountsByCampaignTodayAndByCompanyIn30Days) {
  DialCounter c;
  c.Add({{kA, "hikari", "k1", kNow - 40 * kDay},  // outside both windows
         {kA, "hikari", "k1", kNow - 2 * kDay},   // in the 30 days
         {kA, "hikari", "k2", kNow - 1000},       // today, other campaign
         {kA, "denki", "k9", kNow - 500},         // other company
         {kA, "hikari", "k1", kNow - 100},        // today
         {kB, "hikari", "k1", kNow - 100}});      // other number
  const DialCounts n =
      c.Count(kA, "hikari", "k1", kNow - kDay / 2, kNow - 30 * kDay);
  EXPECT_EQ(n.campaign_today, 1u);
  EXPECT_EQ(n.company_30d, 3u);
  // The window's edges: day_start counts, `since` does not.
  const DialCounts edges =
      c.Count(kA, "hikari", "k1", kNow - 100, kNow - 2 * kDay);
  EXPECT_EQ(edges.campaign_today, 1u);
  EXPECT_EQ(edges.company_30d, 2u);
  EXPECT_EQ(c.Count(kA, "nope", "nope", 0, 0).company_30d, 0u);
  EXPECT_EQ(c.Count(std::string(32, 'z'), "hikari", "k1", 0, 0).company_30d,
            0u);
}

TEST(DialCounterTest, ForgetsWhatNoWindowReaches) {
  DialCounter c;
  c.Add({{kA, "hikari", "k1", kNow - 40 * kDay}});
  EXPECT_EQ(c.size(), 1u);
  c.Add({{kA, "hikari", "k1", kNow}});
  EXPECT_EQ(c.size(), 1u);  // the 40-day-old dial of kA was dropped
  c.Add({{kB, "hikari", "k1", kNow + 2 * kDay}});
  c.Add({{kB, "hikari", "k1", kNow + 40 * kDay}});
  // kA's last dial is now older than the windows: swept with its number.
  EXPECT_EQ(c.Count(kA, "hikari", "k1", 0, 0).company_30d, 0u);
  EXPECT_EQ(c.size(), 1u);
}

TEST(DialCounterTest, PendingDialsCountTheSame) {
  const std::vector<DialCounter::Dial> pending = {{kA, "hikari", "k1", kNow},
                                                  {kA, "hikari", "k2", kNow}};
  DialCounts n;
  DialCounter::CountPending(pending, kA, "hikari", "k1", kNow - 1,
                            kNow - 30 * kDay, n);
  EXPECT_EQ(n.campaign_today, 1u);
  EXPECT_EQ(n.company_30d, 2u);
}

TEST(DoNotSolicitIndexTest, FindsEntriesByNumberOrCustomerUntilCleared) {
  DoNotSolicitIndex index;
  const DoNotSolicitFact refusal{"dns_1", "C1", kA, "hikari", "光", false};
  const DoNotSolicitFact stop{"dns_2", "C2", "", "hikari", "", true};
  index.Apply({{refusal, false}, {stop, false}});
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.Of(kA, {})[0].entry_id, "dns_1");
  EXPECT_EQ(index.Of("", {"C1"}).size(), 1u);
  EXPECT_EQ(index.Of(kA, {"C1", "C2"}).size(), 2u);  // each once
  EXPECT_TRUE(index.Of(kB, {"C3"}).empty());
  index.Apply({{refusal, true}});
  EXPECT_TRUE(index.Of(kA, {"C1"}).empty());
  EXPECT_EQ(index.size(), 1u);
}

}  // namespace
}  // namespace gatekeeper

// The role matrix (policy/access_policy.h), the roles' names, and the rate
// limit of logged denials (server/access.h).
#include "daemon/policy/access_policy.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "daemon/server/access.h"
#include "tests/testing/served_methods.h"

namespace gatekeeper {
namespace {

constexpr Micros kSecond = 1'000'000;

std::set<std::string> ServedMethods() {
  const auto methods = testing::ServedMethods();
  return {methods.begin(), methods.end()};
}

TEST(AccessPolicyTest, EveryServedMethodHasRolesAndAdminIsAmongThem) {
  const std::set<std::string> served = ServedMethods();
  ASSERT_GE(served.size(), 28u);
  for (const std::string& method : served) {
    const RoleSet roles = policy::RolesFor(method);
    EXPECT_NE(roles & kRoleAdmin, 0u) << method;
  }
}

TEST(AccessPolicyTest, TheTableNamesNoMethodThatIsNotServed) {
  const std::set<std::string> served = ServedMethods();
  std::set<std::string> seen;
  for (const auto& [method, roles] : policy::AccessTable()) {
    EXPECT_TRUE(served.count(std::string(method)) == 1) << method;
    EXPECT_TRUE(seen.insert(std::string(method)).second) << "twice: " << method;
  }
}

TEST(AccessPolicyTest, AnUnknownMethodIsNobodys) {
  EXPECT_EQ(policy::RolesFor("/gatekeeper.v1.ConsentService/DropTable"), 0u);
  EXPECT_EQ(policy::RolesFor(""), 0u);
  EXPECT_EQ(policy::RolesFor("gatekeeper.v1.ConsentService/RecordConsent"), 0u);
}

TEST(AccessPolicyTest, OnlyDialersConsentWritersAndAdminsActForOthers) {
  EXPECT_TRUE(policy::MayActForOthers(kRoleDialer));
  EXPECT_TRUE(policy::MayActForOthers(kRoleConsentWriter));
  EXPECT_TRUE(policy::MayActForOthers(kRoleAdmin));
  EXPECT_TRUE(policy::MayActForOthers(kRoleAuditor | kRoleDialer));
  for (Role r :
       {kRolePrintShop, kRoleCampaignEditor, kRoleCompliance, kRoleAuditor}) {
    EXPECT_FALSE(policy::MayActForOthers(r)) << RoleName(r);
  }
}

TEST(RolesTest, NamesRoundTripAndUnknownNamesAreNone) {
  for (Role r : kAllRoles) {
    ASSERT_EQ(RoleByName(RoleName(r)), r) << RoleName(r);
  }
  EXPECT_EQ(RoleByName("root"), std::nullopt);
  EXPECT_EQ(RoleByName("Admin"), std::nullopt);
  EXPECT_EQ(RoleNames(kRoleAdmin | kRolePrintShop), "print_shop, admin");
  EXPECT_EQ(RoleNames(0), "");
}

TEST(DenialLimiterTest, ACallerGetsABurstThenOneEveryTwelveSeconds) {
  DenialLimiter limiter;
  uint64_t suppressed = 99;
  const Micros t0 = 1000 * kSecond;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter.Admit("shop", t0, &suppressed)) << i;
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 7; ++i)
    EXPECT_FALSE(limiter.Admit("shop", t0, &suppressed));
  // Eleven seconds later the bucket has not yet a whole token.
  EXPECT_FALSE(limiter.Admit("shop", t0 + 11 * kSecond, &suppressed));
  // At twelve it has, and the logged denial counts the eight not logged.
  EXPECT_TRUE(limiter.Admit("shop", t0 + 13 * kSecond, &suppressed));
  EXPECT_EQ(suppressed, 8u);
  EXPECT_FALSE(limiter.Admit("shop", t0 + 13 * kSecond, &suppressed));
}

TEST(DenialLimiterTest, OneCallersFloodDoesNotSilenceAnother) {
  DenialLimiter limiter;
  uint64_t suppressed = 0;
  const Micros t0 = 1000 * kSecond;
  for (int i = 0; i < 50; ++i) limiter.Admit("flood", t0, &suppressed);
  EXPECT_TRUE(limiter.Admit("dialer-1", t0, &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(DenialLimiterTest, AllCallersTogetherAreLimitedToOneASecond) {
  DenialLimiter limiter;
  uint64_t suppressed = 0;
  const Micros t0 = 1000 * kSecond;
  int admitted = 0;
  for (int i = 0; i < 200; ++i) {
    admitted += limiter.Admit("@10.0.0." + std::to_string(i), t0, &suppressed);
  }
  EXPECT_EQ(admitted, 60);
  EXPECT_FALSE(limiter.Admit("@10.0.1.1", t0, &suppressed));
  EXPECT_TRUE(limiter.Admit("@10.0.1.1", t0 + kSecond, &suppressed));
  // The caller whose denial was dropped by the global bucket is told so.
  EXPECT_EQ(suppressed, 1u);
}

TEST(DenialLimiterTest, IdleCallersAreForgottenOnceTheMapIsFull) {
  DenialLimiter limiter;
  uint64_t suppressed = 0;
  Micros t = 1000 * kSecond;
  // Fill the map at one new caller a second (the global bucket refills).
  for (size_t i = 0; i < DenialLimiter::kMaxCallers; ++i, t += kSecond) {
    ASSERT_TRUE(limiter.Admit("@a" + std::to_string(i), t, &suppressed));
  }
  // The first callers have been idle long enough to be forgotten: a new one
  // gets its own bucket.
  EXPECT_TRUE(limiter.Admit("@new-0", t, &suppressed));
}

TEST(DenialLimiterTest, WhileEveryCallerIsRecentNewOnesShareOneBucket) {
  DenialLimiter limiter;
  uint64_t suppressed = 0;
  const Micros t0 = 1000 * kSecond;
  // A flood from ever new addresses fills the map within one second.
  for (size_t i = 0; i < DenialLimiter::kMaxCallers; ++i) {
    limiter.Admit("@a" + std::to_string(i), t0, &suppressed);
  }
  // Ten seconds on the global bucket holds ten, but the new callers share
  // one bucket of five: the flood stays at five entries.
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    admitted +=
        limiter.Admit("@b" + std::to_string(i), t0 + 10 * kSecond, &suppressed);
  }
  EXPECT_EQ(admitted, 5);
}

TEST(CallRateLimiterTest, ASecondsWorthThenTheWaitThenServedAgain) {
  CallRateLimiter limiter;
  const Micros t0 = 1000 * kSecond;
  for (int i = 0; i < 5; ++i) ASSERT_EQ(limiter.Take("shop", 5, t0), 0) << i;
  EXPECT_EQ(limiter.Take("shop", 5, t0), kSecond / 5);
  // Another principal has its own bucket.
  EXPECT_EQ(limiter.Take("dialer", 5, t0), 0);
  // 100 ms on, half a call has come back: wait another 100 ms.
  EXPECT_EQ(limiter.Take("shop", 5, t0 + kSecond / 10), kSecond / 10);
  EXPECT_EQ(limiter.Take("shop", 5, t0 + kSecond / 5), 0);
  // A long pause refills one second's worth, no more.
  int served = 0;
  while (limiter.Take("shop", 5, t0 + 60 * kSecond) == 0) ++served;
  EXPECT_EQ(served, 5);
}

}  // namespace
}  // namespace gatekeeper

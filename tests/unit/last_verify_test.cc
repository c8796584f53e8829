// The last VerifyAudit's outcome as the dashboard shows it
// (daemon/ops/last_verify.h): none since start, ok, the first problem of a
// broken chain, and a verification that could not read the log.
#include "daemon/ops/last_verify.h"

#include <gtest/gtest.h>

namespace gatekeeper {
namespace {

constexpr Micros kNow = 1'796'085'000'250'000;

TEST(LastVerifyTest, NoneSinceStart) {
  LastVerify v;
  EXPECT_FALSE(v.Get().has_value());
}

TEST(LastVerifyTest, AnIntactChainIsOkWithoutAProblem) {
  LastVerify v;
  VerifyResult r;
  r.ok = true;
  r.entries_checked = 12;
  r.detail = "12 entries verified";
  v.Record(kNow, r);
  ASSERT_TRUE(v.Get().has_value());
  EXPECT_EQ(v.Get()->at, kNow);
  EXPECT_TRUE(v.Get()->ok);
  EXPECT_EQ(v.Get()->entries_checked, 12u);
  EXPECT_EQ(v.Get()->problem, "");
}

TEST(LastVerifyTest, ABrokenChainKeepsItsFirstProblem) {
  LastVerify v;
  VerifyResult r;
  r.ok = false;
  r.entries_checked = 6;
  r.first_bad_seq = 7;
  r.detail = "entry 7: content does not match its hash";
  v.Record(kNow, r);
  EXPECT_FALSE(v.Get()->ok);
  EXPECT_EQ(v.Get()->problem, "entry 7: content does not match its hash");
}

TEST(LastVerifyTest, AFailedReadIsNotOk) {
  LastVerify v;
  v.Record(kNow, absl::UnavailableError("disk I/O error"));
  EXPECT_FALSE(v.Get()->ok);
  EXPECT_EQ(v.Get()->problem, "could not verify: disk I/O error");
}

}  // namespace
}  // namespace gatekeeper

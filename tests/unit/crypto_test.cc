// Hashes and identifiers.
#include "daemon/common/crypto.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gatekeeper {
namespace {

TEST(CryptoTest, Sha256OfTheEmptyString) {
  EXPECT_EQ(ToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, NewIdHasThePrefixTimeAndTwentyHexDigits) {
  const std::string id = NewId("dec_");
  ASSERT_EQ(id.size(), 4u + 12u + 20u) << id;
  EXPECT_EQ(id.rfind("dec_", 0), 0u);
  EXPECT_TRUE(FromHex(id.substr(4)).ok()) << id;
}

TEST(CryptoTest, NewIdsAreUniqueAcrossThreads) {
  constexpr int kThreads = 4, kEach = 50000;
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < kEach; ++i) mine.push_back(NewId("x_"));
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace gatekeeper

// Hashes and identifiers.
#include "daemon/common/crypto.h"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(CryptoTest, HmacSha256MatchesRfc4231) {
  // RFC 4231 test cases 1 (short key) and 6 (key longer than a block).
  const std::string key1(20, '\x0b');
  EXPECT_EQ(ToHex(HmacSha256Key(key1).Mac("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const std::string key6(131, '\xaa');
  const std::string data6 =
      "Test Using Larger Than Block-Size Key - Hash Key First";
  EXPECT_EQ(ToHex(HmacSha256Key(key6).Mac(data6)),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoTest, KeyedHmacIsThreadSafe) {
  const HmacSha256Key key("k");
  const std::string want = key.Mac("data");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (key.Mac("data") != want) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
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

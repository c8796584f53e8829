// The print index's sort (daemon/store/print_run_records.h): the same order
// and the same distinct entries as one std::sort, on either side of the size
// where it spreads the entries first.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "daemon/store/print_run_records.h"

namespace gatekeeper {
namespace {

std::vector<uint64_t> Reference(std::vector<uint64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

TEST(PrintIndexTest, SortsLikeOneSortAndDropsDuplicates) {
  std::mt19937_64 rng(7);
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{65535},
                   size_t{65536}, size_t{300000}}) {
    std::vector<uint64_t> v(n);
    for (uint64_t& e : v) {
      // Keys from a narrow range too, so that parts hold many and equal ones.
      const uint64_t key = (rng() & 1) ? rng() >> 32 : rng() % 50;
      e = PrintIndexEntry(static_cast<uint32_t>(key << 16 | (rng() % 3)),
                          static_cast<uint32_t>(rng() % 4));
    }
    const std::vector<uint64_t> want = Reference(v);
    SortPrintIndexEntries(v);
    EXPECT_EQ(v, want) << n;
  }
}

}  // namespace
}  // namespace gatekeeper

// The consent index's snapshot (index_snapshot.h): what Restore reads back
// answers every lookup as the index that was saved, and stays writable; a
// snapshot for another key, cut short, altered or followed by more bytes is
// refused and leaves the index as it was.
#include "daemon/store/index_snapshot.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/common/crypto.h"
#include "daemon/store/consent_index.h"
#include "tests/testing/index_changes.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

using v1::PURPOSE_AD_INSERT;
using v1::PURPOSE_TELEMARKETING;

constexpr char kKey[] = "audit head 42 abcd, last consent rowid 7";

using testing::New;
using testing::State;

std::string Pseudonym(uint64_t n) {
  std::string p = Sha256(std::to_string(n));  // 32 bytes
  return p;
}

// An index with every kind of thing its tables hold: more consents than one
// chunk, customers across arena chunks, numbers shared by customers, masked
// forms, ids not in NewId's form (one longer than an arena chunk),
// pseudonyms of another length, several companies, state changes and purged
// consents. Returns the customers and numbers to look up.
struct Built {
  std::vector<std::string> customers;
  std::vector<std::string> phones;
};
Built Fill(ConsentIndex& index, int n) {
  Built b;
  std::mt19937_64 rng(7);
  std::vector<ConsentIndex::Change> changes;
  const char* companies[] = {"hikari-net", "denki-home", "gas-plus"};
  for (int i = 0; i < n; ++i) {
    const std::string customer = "CU" + std::to_string(1000000 + i / 2);
    if (i % 2 == 0) b.customers.push_back(customer);
    std::string id =
        i % 97 == 0 ? "IMP-2019-" + std::to_string(i) : NewId("cns_");
    if (i == 5) id = std::string(3 << 20, 'y');
    if (i % 3 == 1) {
      // Household lines: every 20th number is named by two customers.
      const uint64_t number = i % 60 == 1 ? i / 2 : i;
      std::string phone = Pseudonym(number);
      if (i % 301 == 1) phone = "short-" + std::to_string(number);
      if (i % 60 != 1 || i / 2 % 2 == 0) b.phones.push_back(phone);
      changes.push_back(New(id, customer, PURPOSE_TELEMARKETING,
                            companies[i % 3], phone,
                            "+81 90-****-" + std::to_string(1000 + i % 9000)));
    } else {
      changes.push_back(New(id, customer, PURPOSE_AD_INSERT, companies[i % 3]));
    }
    changes.back().entry.fact.expires_at =
        static_cast<Micros>(rng() % 3) * 5000;
    if (i % 10 == 7) {
      changes.push_back(
          State(id, customer, v1::CONSENT_STATE_WITHDRAWN, false));
    }
    if (i % 1000 == 9) {
      changes.push_back(State(id, customer, v1::CONSENT_STATE_WITHDRAWN,
                              /*removed=*/true));
    }
  }
  index.Apply(changes);
  return b;
}

std::string Dump(const ConsentIndex& index, const Built& b) {
  std::ostringstream out;
  out << index.size() << "\n";
  for (const auto& [k, v] : index.CountsByPurposeAndState()) {
    out << k.first << "/" << k.second << "=" << v << "\n";
  }
  const char* companies[] = {"hikari-net", "denki-home", "gas-plus", "none"};
  auto facts = [&](const std::vector<ConsentFact>& fs) {
    for (const ConsentFact& f : fs) {
      out << f.consent_id.size() << ":" << f.consent_id.substr(0, 40) << "|"
          << f.customer_id << "|" << ToHex(f.phone_pseudonym) << "|"
          << f.collected_at << "|" << f.expires_at << "|" << f.state << "\n";
    }
  };
  for (const std::string& c : b.customers) {
    for (const char* company : companies) {
      facts(index.OfCustomer(c, PURPOSE_AD_INSERT, company));
      facts(index.OfCustomer(c, PURPOSE_TELEMARKETING, company));
    }
  }
  for (const std::string& p : b.phones) {
    out << index.MaskOfPhone(p).value_or("(none)") << "\n";
    for (const char* company : companies) {
      facts(index.OfPhone(p, PURPOSE_TELEMARKETING, company));
    }
  }
  return out.str();
}

class IndexSnapshotTest : public ::testing::Test {
 protected:
  void Save(const ConsentIndex& index, const std::string& key = kKey) {
    auto w = SnapshotWriter::Create(path_, key);
    ASSERT_TRUE(w.ok()) << w.status();
    index.Save(**w);
    ASSERT_TRUE((*w)->Commit().ok());
  }
  absl::Status Restore(ConsentIndex& index, const std::string& key = kKey) {
    auto r = SnapshotReader::Open(path_, key);
    if (!r.ok()) return r.status();
    return index.Restore(**r);
  }
  std::string Bytes() {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void Put(const std::string& bytes) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  testing::TempDir dir_;
  const std::filesystem::path path_ = dir_.path() / "consent_index.snapshot";
};

TEST_F(IndexSnapshotTest, ARestoredIndexAnswersAsTheSavedOneAndStaysWritable) {
  ConsentIndex saved;
  const Built b = Fill(saved, 200000);
  Save(saved);
  EXPECT_FALSE(std::filesystem::exists(path_.string() + ".tmp"));
  ConsentIndex restored;
  ASSERT_TRUE(Restore(restored).ok());
  const std::string want = Dump(saved, b);
  EXPECT_EQ(Dump(restored, b), want);
  EXPECT_GT(want.size(), 1000000u);  // it looked at a lot

  // The same changes to both, new customers and numbers among them.
  std::vector<ConsentIndex::Change> more;
  for (int i = 0; i < 5000; ++i) {
    const std::string customer = i % 2 == 0
                                     ? b.customers[i * 7 % b.customers.size()]
                                     : "NEW-" + std::to_string(i);
    more.push_back(New(NewId("cns_"), customer, PURPOSE_TELEMARKETING,
                       "hikari-net", Pseudonym(900000000 + i % 2500),
                       "+81 80-****-0000"));
  }
  auto more2 = more;
  saved.Apply(more);
  restored.Apply(more2);
  Built all = b;
  for (int i = 0; i < 5000; ++i) {
    all.customers.push_back("NEW-" + std::to_string(i));
    all.phones.push_back(Pseudonym(900000000 + i % 2500));
  }
  EXPECT_EQ(Dump(restored, all), Dump(saved, all));
}

TEST_F(IndexSnapshotTest, AnEmptyIndexRoundTrips) {
  ConsentIndex saved, restored;
  Save(saved);
  ASSERT_TRUE(Restore(restored).ok());
  EXPECT_EQ(restored.size(), 0u);
  Fill(restored, 10);
  EXPECT_EQ(restored.size(), 10u);
}

TEST_F(IndexSnapshotTest, NoFileIsNotFoundAndAnotherKeyIsRefused) {
  ConsentIndex index;
  EXPECT_TRUE(absl::IsNotFound(Restore(index)));
  Fill(index, 100);
  Save(index);
  ConsentIndex other;
  const absl::Status s =
      Restore(other, "audit head 43 beef, last consent rowid 7");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("written for " + std::string(kKey)),
            std::string::npos)
      << s;
  EXPECT_EQ(other.size(), 0u);
}

TEST_F(IndexSnapshotTest,
       AnAlteredCutOrLengthenedSnapshotIsDataLossAndChangesNothing) {
  ConsentIndex saved;
  const Built b = Fill(saved, 3000);
  Save(saved);
  const std::string good = Bytes();
  ConsentIndex before;
  Fill(before, 30);
  const std::string before_dump = Dump(before, b);
  struct Case {
    const char* what;
    std::string bytes;
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  std::string digest_flipped = good;
  digest_flipped[good.size() - 1] ^= 0x80;
  const std::vector<Case> cases = {
      {"a byte in the body", flipped},
      {"a byte of the digest", digest_flipped},
      {"cut in the body", good.substr(0, good.size() / 3)},
      {"cut in the digest", good.substr(0, good.size() - 5)},
      {"more after the digest", good + "x"},
      {"not a snapshot", "SQLite format 3"},
      {"empty", ""},
  };
  for (const Case& c : cases) {
    Put(c.bytes);
    const absl::Status s = Restore(before);
    EXPECT_TRUE(absl::IsDataLoss(s)) << c.what << ": " << s;
    EXPECT_EQ(Dump(before, b), before_dump) << c.what;
  }
  Put(good);
  ConsentIndex restored;
  ASSERT_TRUE(Restore(restored).ok());
  EXPECT_EQ(Dump(restored, b), Dump(saved, b));
}

}  // namespace
}  // namespace gatekeeper

#include "daemon/store/consent_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/common/crypto.h"
#include "tests/testing/index_changes.h"

namespace gatekeeper {
namespace {

using v1::CONSENT_STATE_GRANTED;
using v1::CONSENT_STATE_WITHDRAWN;
using v1::PURPOSE_AD_INSERT;
using v1::PURPOSE_TELEMARKETING;
using v1::PURPOSE_UNSPECIFIED;

using testing::New;
using testing::State;

std::vector<std::string> Ids(const std::vector<ConsentFact>& facts) {
  std::vector<std::string> ids;
  for (const ConsentFact& f : facts) ids.push_back(f.consent_id);
  return ids;
}

void Apply(ConsentIndex& index, std::vector<ConsentIndex::Change> changes) {
  index.Apply(changes);
}

TEST(ConsentIndexTest, OfCustomerMatchesPurposeAndCompanyAndGivesEveryField) {
  ConsentIndex index;
  Apply(index, {New("c1", "C-1", PURPOSE_AD_INSERT, "hikari"),
                New("c2", "C-1", PURPOSE_AD_INSERT, "denki"),
                New("c3", "C-1", PURPOSE_TELEMARKETING, "hikari", "P1", "m1"),
                New("c4", "C-2", PURPOSE_AD_INSERT, "hikari")});
  EXPECT_EQ(index.size(), 4u);
  auto facts = index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari");
  ASSERT_EQ(Ids(facts), std::vector<std::string>{"c1"});
  EXPECT_EQ(facts[0].customer_id, "C-1");
  EXPECT_EQ(facts[0].phone_pseudonym, "");
  EXPECT_EQ(facts[0].collected_at, 100);
  EXPECT_EQ(facts[0].expires_at, 200);
  EXPECT_EQ(facts[0].state, CONSENT_STATE_GRANTED);
  auto tm = index.OfCustomer("C-1", PURPOSE_TELEMARKETING, "hikari");
  ASSERT_EQ(Ids(tm), std::vector<std::string>{"c3"});
  EXPECT_EQ(tm[0].phone_pseudonym, "P1");
  EXPECT_TRUE(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "nobody").empty());
  EXPECT_TRUE(index.OfCustomer("C-9", PURPOSE_AD_INSERT, "hikari").empty());
}

TEST(ConsentIndexTest, StateChangesAndReplacementsDoNotAddConsents) {
  ConsentIndex index;
  Apply(index, {New("c1", "C-1", PURPOSE_AD_INSERT, "hikari"),
                New("c2", "C-1", PURPOSE_AD_INSERT, "hikari")});
  Apply(index, {State("c2", "C-1", CONSENT_STATE_WITHDRAWN),
                State("c9", "C-1", CONSENT_STATE_WITHDRAWN),    // unknown
                State("c1", "C-7", CONSENT_STATE_WITHDRAWN)});  // unknown
  auto facts = index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari");
  ASSERT_EQ(Ids(facts), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(facts[0].state, CONSENT_STATE_GRANTED);
  EXPECT_EQ(facts[1].state, CONSENT_STATE_WITHDRAWN);
  EXPECT_TRUE(index.OfCustomer("C-7", PURPOSE_AD_INSERT, "hikari").empty());

  auto again = New("c1", "C-1", PURPOSE_AD_INSERT, "hikari");
  again.entry.fact.expires_at = 300;
  Apply(index, {again});
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari")[0].expires_at,
            300);
}

TEST(ConsentIndexTest, OfPhoneFindsEveryCustomerOfTheNumberAndOnlyIt) {
  ConsentIndex index;
  Apply(index,
        {New("a", "C-1", PURPOSE_TELEMARKETING, "hikari", "P1", "+81 90-1"),
         New("b", "C-1", PURPOSE_TELEMARKETING, "hikari", "P2", "+81 90-2"),
         New("c", "C-2", PURPOSE_TELEMARKETING, "hikari", "P1", "other"),
         New("d", "C-2", PURPOSE_TELEMARKETING, "denki", "P1", "+81 90-1")});
  EXPECT_EQ(Ids(index.OfPhone("P1", PURPOSE_TELEMARKETING, "hikari")),
            (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(Ids(index.OfPhone("P2", PURPOSE_TELEMARKETING, "hikari")),
            std::vector<std::string>{"b"});
  EXPECT_EQ(Ids(index.OfPhone("P1", PURPOSE_TELEMARKETING, "denki")),
            std::vector<std::string>{"d"});
  EXPECT_TRUE(index.OfPhone("P3", PURPOSE_TELEMARKETING, "hikari").empty());
  EXPECT_TRUE(index.OfPhone("", PURPOSE_TELEMARKETING, "hikari").empty());
  // The first masked form recorded for a number is the one kept.
  EXPECT_EQ(index.MaskOfPhone("P1"), "+81 90-1");
  EXPECT_EQ(index.MaskOfPhone("P2"), "+81 90-2");
  EXPECT_EQ(index.MaskOfPhone("P3"), std::nullopt);
}

TEST(ConsentIndexTest, ManyConsentsStayFindable) {
  ConsentIndex index;
  std::vector<ConsentIndex::Change> changes;
  for (int i = 0; i < 50000; ++i) {
    const std::string n = std::to_string(i);
    changes.push_back(New("ad-" + n, "C-" + n, PURPOSE_AD_INSERT, "hikari"));
    changes.push_back(New("tm-" + n, "C-" + n, PURPOSE_TELEMARKETING, "hikari",
                          "P-" + n, "m-" + n));
  }
  index.Apply(changes);
  EXPECT_EQ(index.size(), 100000u);
  for (int i = 0; i < 50000; i += 997) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(Ids(index.OfCustomer("C-" + n, PURPOSE_AD_INSERT, "hikari")),
              std::vector<std::string>{"ad-" + n});
    auto tm = index.OfPhone("P-" + n, PURPOSE_TELEMARKETING, "hikari");
    ASSERT_EQ(Ids(tm), std::vector<std::string>{"tm-" + n});
    EXPECT_EQ(tm[0].customer_id, "C-" + n);
    EXPECT_EQ(index.MaskOfPhone("P-" + n), "m-" + n);
  }
}

// Every field of every fact, so that a test compares whole answers.
std::string Dump(const std::vector<ConsentFact>& facts) {
  std::string out;
  for (const ConsentFact& f : facts) {
    out += f.consent_id + "|" + f.customer_id + "|" + f.phone_pseudonym + "|" +
           std::to_string(f.collected_at) + "|" + std::to_string(f.expires_at) +
           "|" + std::to_string(f.state) + "\n";
  }
  return out;
}

// A 32-byte pseudonym. The index hashes a pseudonym by its first eight bytes
// (HMAC outputs are uniformly random), so these are n mixed, unless given.
std::string Pseudonym(uint64_t n,
                      std::optional<uint64_t> first_bytes = std::nullopt) {
  const uint64_t first = first_bytes.value_or(n * 0x9e3779b97f4a7c15ULL);
  std::string p(32, 'x');
  std::memcpy(p.data(), &first, sizeof first);
  std::memcpy(p.data() + 8, &n, sizeof n);
  return p;
}

TEST(ConsentIndexTest, NewIdsComeBackAsTheyWent) {
  ConsentIndex index;
  std::vector<std::string> ids = {"cns_" + std::string(32, '0'),
                                  "cns_" + std::string(32, 'f'),
                                  "cns_0123456789abcdef0123456789abcdef"};
  for (int i = 0; i < 1000; ++i) ids.push_back(NewId("cns_"));
  std::vector<ConsentIndex::Change> changes;
  for (const std::string& id : ids) {
    changes.push_back(New(id, "C-1", PURPOSE_AD_INSERT, "hikari"));
  }
  index.Apply(changes);
  EXPECT_EQ(Ids(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari")), ids);
  // And a state change finds each by its id.
  changes.clear();
  for (size_t i = 0; i < ids.size(); i += 2) {
    changes.push_back(State(ids[i], "C-1", CONSENT_STATE_WITHDRAWN));
  }
  index.Apply(changes);
  auto facts = index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari");
  ASSERT_EQ(facts.size(), ids.size());
  for (size_t i = 0; i < facts.size(); ++i) {
    EXPECT_EQ(facts[i].state,
              i % 2 == 0 ? CONSENT_STATE_WITHDRAWN : CONSENT_STATE_GRANTED)
        << i;
  }
}

TEST(ConsentIndexTest, OtherIdsAreKeptAsText) {
  const std::string hex = "0123456789abcdef0123456789abcdef";
  const std::vector<std::string> ids = {
      "legacy-42",
      "",
      "cns_" + hex.substr(1),                    // 31 digits
      "cns_" + hex + "0",                        // 33 digits
      "cns_0123456789ABCDEF0123456789abcdef",    // upper case
      "cns_0123456789abcdeg0123456789abcdef",    // not hex
      "CNS_" + hex,                              // another prefix
      "cns-" + hex,                              //
      std::string("cns_\0", 5) + hex.substr(1),  // a NUL
      std::string(300, 'x'),                     // a two-byte length
      std::string(3 << 20, 'y'),                 // longer than a chunk
      "cns_" + hex,                              // NewId's form after all
  };
  ConsentIndex index;
  std::vector<ConsentIndex::Change> changes;
  for (const std::string& id : ids) {
    changes.push_back(New(id, "C-1", PURPOSE_AD_INSERT, "hikari"));
  }
  index.Apply(changes);
  EXPECT_EQ(index.size(), ids.size());
  EXPECT_EQ(Ids(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari")), ids);
  // Each is found again by its own id, and only by it.
  Apply(index,
        {State("cns_0123456789ABCDEF0123456789abcdef", "C-1",
               CONSENT_STATE_WITHDRAWN),
         State(std::string(3 << 20, 'y'), "C-1", CONSENT_STATE_WITHDRAWN)});
  auto facts = index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari");
  ASSERT_EQ(facts.size(), ids.size());
  for (size_t i = 0; i < facts.size(); ++i) {
    EXPECT_EQ(facts[i].state, i == 4 || i == 10 ? CONSENT_STATE_WITHDRAWN
                                                : CONSENT_STATE_GRANTED)
        << i;
  }
  // The same id again replaces the consent, whatever its form.
  auto again = New("legacy-42", "C-1", PURPOSE_AD_INSERT, "hikari");
  again.entry.fact.expires_at = 999;
  Apply(index, {again});
  EXPECT_EQ(index.size(), ids.size());
  EXPECT_EQ(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari")[0].expires_at,
            999);
}

TEST(ConsentIndexTest, CustomersWhoseIdsCollideStayApart) {
  // Every customer id hashes alike: found by comparing ids alone.
  ConsentIndex index([](std::string_view) -> size_t { return 42; });
  std::vector<ConsentIndex::Change> changes;
  std::vector<std::string> customers = {"", "C", "C1", "C12", "c1"};
  for (int i = 0; i < 3000; ++i) customers.push_back("C-" + std::to_string(i));
  for (size_t i = 0; i < customers.size(); ++i) {
    const std::string n = std::to_string(i);
    changes.push_back(
        New("ad-" + n, customers[i], PURPOSE_AD_INSERT, "hikari"));
    changes.push_back(New("tm-" + n, customers[i], PURPOSE_TELEMARKETING,
                          "hikari", Pseudonym(i), "m" + n));
  }
  index.Apply(changes);
  changes.clear();
  for (size_t i = 0; i < customers.size(); i += 3) {
    changes.push_back(State("ad-" + std::to_string(i), customers[i],
                            CONSENT_STATE_WITHDRAWN));
  }
  index.Apply(changes);
  EXPECT_EQ(index.size(), 2 * customers.size());
  for (size_t i = 0; i < customers.size(); ++i) {
    const std::string n = std::to_string(i);
    auto ad = index.OfCustomer(customers[i], PURPOSE_AD_INSERT, "hikari");
    ASSERT_EQ(Ids(ad), std::vector<std::string>{"ad-" + n}) << i;
    EXPECT_EQ(ad[0].customer_id, customers[i]);
    EXPECT_EQ(ad[0].state,
              i % 3 == 0 ? CONSENT_STATE_WITHDRAWN : CONSENT_STATE_GRANTED);
    auto tm = index.OfPhone(Pseudonym(i), PURPOSE_TELEMARKETING, "hikari");
    ASSERT_EQ(Ids(tm), std::vector<std::string>{"tm-" + n}) << i;
    EXPECT_EQ(tm[0].customer_id, customers[i]);
  }
  EXPECT_TRUE(index.OfCustomer("C-3000", PURPOSE_AD_INSERT, "hikari").empty());
  EXPECT_TRUE(index.OfCustomer("C12 ", PURPOSE_AD_INSERT, "hikari").empty());
}

TEST(ConsentIndexTest, NumbersWhoseFirstBytesCollideStayApart) {
  // The first eight bytes of a pseudonym are its hash: these all collide.
  ConsentIndex index;
  std::vector<ConsentIndex::Change> changes;
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i);
    changes.push_back(New("tm-" + n, "C-" + n, PURPOSE_TELEMARKETING, "hikari",
                          Pseudonym(i, 7), "m" + n));
  }
  index.Apply(changes);
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(
        Ids(index.OfPhone(Pseudonym(i, 7), PURPOSE_TELEMARKETING, "hikari")),
        std::vector<std::string>{"tm-" + n});
    EXPECT_EQ(index.MaskOfPhone(Pseudonym(i, 7)), "m" + n);
  }
  EXPECT_EQ(index.MaskOfPhone(Pseudonym(2000, 7)), std::nullopt);
  EXPECT_EQ(index.MaskOfPhone(Pseudonym(0, 8)), std::nullopt);
}

TEST(ConsentIndexTest, AReplacedConsentKeepsItsPlaceAndTakesEveryNewField) {
  ConsentIndex index;
  const std::string id = NewId("cns_");
  Apply(
      index,
      {New("first", "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), "m1"),
       New(id, "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), "m1"),
       New("last", "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1),
           "m1")});
  auto replaced =
      New(id, "C-1", PURPOSE_TELEMARKETING, "denki", Pseudonym(2), "m2");
  replaced.entry.fact.collected_at = 150;
  replaced.entry.fact.expires_at = 0;
  replaced.entry.fact.state = CONSENT_STATE_WITHDRAWN;
  Apply(index, {replaced});
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(Ids(index.OfPhone(Pseudonym(1), PURPOSE_TELEMARKETING, "hikari")),
            (std::vector<std::string>{"first", "last"}));
  EXPECT_TRUE(
      index.OfPhone(Pseudonym(2), PURPOSE_TELEMARKETING, "hikari").empty());
  auto facts = index.OfPhone(Pseudonym(2), PURPOSE_TELEMARKETING, "denki");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(Dump(facts),
            Dump({{id, "C-1", Pseudonym(2), 150, 0, CONSENT_STATE_WITHDRAWN}}));
  EXPECT_EQ(index.MaskOfPhone(Pseudonym(2)), "m2");
  // Back to the first company, and to no number: its place is kept.
  Apply(index, {New(id, "C-1", PURPOSE_TELEMARKETING, "hikari")});
  EXPECT_EQ(Ids(index.OfCustomer("C-1", PURPOSE_TELEMARKETING, "hikari")),
            (std::vector<std::string>{"first", id, "last"}));
  EXPECT_EQ(index.OfCustomer("C-1", PURPOSE_TELEMARKETING, "hikari")[1]
                .phone_pseudonym,
            "");
  EXPECT_TRUE(
      index.OfPhone(Pseudonym(2), PURPOSE_TELEMARKETING, "denki").empty());
}

TEST(ConsentIndexTest, CompaniesAreMatchedExactly) {
  ConsentIndex index;
  EXPECT_TRUE(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari").empty());
  const std::vector<std::string> companies = {"hikari", "hikari-net", "",
                                              "Hikari", "hikari "};
  std::vector<ConsentIndex::Change> changes;
  for (int i = 0; i < 10000; ++i) {
    const std::string& company = companies[i % companies.size()];
    changes.push_back(New("c" + std::to_string(i),
                          "C-" + std::to_string(i / 10), PURPOSE_AD_INSERT,
                          company));
  }
  index.Apply(changes);
  for (int c = 0; c < 1000; c += 7) {
    for (size_t k = 0; k < companies.size(); ++k) {
      std::vector<std::string> expected;
      for (int i = c * 10; i < c * 10 + 10; ++i) {
        if (i % companies.size() == k)
          expected.push_back("c" + std::to_string(i));
      }
      EXPECT_EQ(Ids(index.OfCustomer("C-" + std::to_string(c),
                                     PURPOSE_AD_INSERT, companies[k])),
                expected);
    }
    EXPECT_TRUE(
        index.OfCustomer("C-" + std::to_string(c), PURPOSE_AD_INSERT, "denki")
            .empty());
  }
  // A company first asked about before any consent names it.
  Apply(index, {New("d", "C-0", PURPOSE_AD_INSERT, "denki")});
  EXPECT_EQ(Ids(index.OfCustomer("C-0", PURPOSE_AD_INSERT, "denki")),
            std::vector<std::string>{"d"});
}

TEST(ConsentIndexTest,
     ANumbersMaskIsTheFirstGivenAndItsCustomersAreListedOnce) {
  ConsentIndex index;
  Apply(index,
        {New("a", "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), ""),
         New("b", "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), "m1"),
         New("c", "C-2", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), "m2"),
         New("d", "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), "m3"),
         New("e", "C-3", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), ""),
         New("f", "C-2", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), ""),
         New("g", "C-3", PURPOSE_TELEMARKETING, "hikari", Pseudonym(2), "")});
  EXPECT_EQ(index.MaskOfPhone(Pseudonym(1)), "m1");
  EXPECT_EQ(index.MaskOfPhone(Pseudonym(2)), "");  // known, never masked
  // Customers in the order they first named the number, each once.
  EXPECT_EQ(Ids(index.OfPhone(Pseudonym(1), PURPOSE_TELEMARKETING, "hikari")),
            (std::vector<std::string>{"a", "b", "d", "c", "f", "e"}));
  Apply(index,
        {New("a", "C-1", PURPOSE_TELEMARKETING, "hikari", Pseudonym(1), "m9")});
  EXPECT_EQ(Ids(index.OfPhone(Pseudonym(1), PURPOSE_TELEMARKETING, "hikari")),
            (std::vector<std::string>{"a", "b", "d", "c", "f", "e"}));
}

TEST(ConsentIndexTest, AStateChangeOfAnUnknownCustomerAddsNothing) {
  ConsentIndex index;
  Apply(index, {State("c1", "C-1", CONSENT_STATE_WITHDRAWN)});
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.OfCustomer("C-1", PURPOSE_UNSPECIFIED, "").empty());
  Apply(index, {New("c1", "C-1", PURPOSE_AD_INSERT, "hikari")});
  EXPECT_EQ(index.OfCustomer("C-1", PURPOSE_AD_INSERT, "hikari")[0].state,
            CONSENT_STATE_GRANTED);
}

TEST(ConsentIndexTest, AStateOrPurposeOutsideItsEnumIsKeptAsUnspecified) {
  ConsentIndex index;
  auto odd = New("c1", "C-1", static_cast<v1::Purpose>(300), "hikari");
  odd.entry.fact.state = static_cast<v1::ConsentState>(7);
  Apply(index, {odd});
  EXPECT_TRUE(
      index.OfCustomer("C-1", static_cast<v1::Purpose>(300), "hikari").empty());
  auto facts = index.OfCustomer("C-1", PURPOSE_UNSPECIFIED, "hikari");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].state, v1::CONSENT_STATE_UNSPECIFIED);
}

// The answers readers get while the writer grows every table (new chunks, the
// hash sets rehashed many times over) are those of the consents applied.
TEST(ConsentIndexTest, ReadersReadWhileTheTablesGrow) {
  ConsentIndex index;
  std::vector<ConsentIndex::Change> changes;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    changes.push_back(New(NewId("cns_"), "early-" + n, PURPOSE_TELEMARKETING,
                          "hikari", Pseudonym(i), "m" + n));
  }
  std::vector<std::string> expected;
  for (const auto& c : changes) expected.push_back(Dump({c.entry.fact}));
  index.Apply(changes);

  std::atomic<bool> done = false;
  std::atomic<int> wrong = 0;
  std::atomic<int> reads = 0;
  auto reader = [&] {
    while (!done) {
      for (int i = 0; i < 100; ++i) {
        const std::string n = std::to_string(i);
        if (Dump(index.OfCustomer("early-" + n, PURPOSE_TELEMARKETING,
                                  "hikari")) != expected[i] ||
            Dump(index.OfPhone(Pseudonym(i), PURPOSE_TELEMARKETING,
                               "hikari")) != expected[i] ||
            index.MaskOfPhone(Pseudonym(i)) != "m" + n) {
          ++wrong;
        }
        ++reads;
      }
    }
  };
  std::thread r1(reader), r2(reader);
  for (int b = 0; b < 200; ++b) {
    changes.clear();
    for (int i = 0; i < 1000; ++i) {
      const std::string n = std::to_string(b * 1000 + i);
      changes.push_back(New(NewId("cns_"), "late-" + n, PURPOSE_TELEMARKETING,
                            "co-" + std::to_string(i % 7),
                            Pseudonym(100 + b * 1000 + i), "late-m" + n));
    }
    index.Apply(changes);
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(index.size(), 200100u);
  for (int i = 0; i < 200000; i += 997) {
    const std::string n = std::to_string(i);
    auto facts = index.OfPhone(Pseudonym(100 + i), PURPOSE_TELEMARKETING,
                               "co-" + std::to_string(i % 1000 % 7));
    ASSERT_EQ(facts.size(), 1u) << i;
    EXPECT_EQ(facts[0].customer_id, "late-" + n);
    EXPECT_EQ(index.MaskOfPhone(Pseudonym(100 + i)), "late-m" + n);
  }
}

// A guard on the layout: a third of the consents with a number, 1.5 consents
// a customer, NewId's ids. (The former index allocated about 360 bytes a
// consent; this one about 88 at a million, the hash tables' power-of-two
// capacities moving it a few bytes with the count.)
TEST(ConsentIndexTest, StaysCompact) {
  ConsentIndex index;
  constexpr int kConsents = 600000;
  std::vector<ConsentIndex::Change> changes;
  for (int i = 0; i < kConsents; ++i) {
    const int t = i / 3;
    const std::string customer =
        "CU" + std::to_string(1000000000 + (i % 3 == 1 ? 2 * t + 1 : 2 * t));
    if (i % 3 == 2) {
      changes.push_back(New(NewId("cns_"), customer, PURPOSE_TELEMARKETING,
                            "hikari", Pseudonym(t), "+81 90-****-1234"));
    } else {
      changes.push_back(
          New(NewId("cns_"), customer, PURPOSE_AD_INSERT, "hikari"));
    }
    if (changes.size() == 100000) {
      index.Apply(changes);
      changes.clear();
    }
  }
  EXPECT_EQ(index.size(), static_cast<size_t>(kConsents));
  EXPECT_LT(index.AllocatedBytes(), 100u * kConsents);
}

TEST(ConsentIndexTest, CountsFollowAddsReplacementsAndStateChanges) {
  ConsentIndex index;
  Apply(index, {New("c1", "C-1", PURPOSE_AD_INSERT, "hikari"),
                New("c2", "C-2", PURPOSE_AD_INSERT, "hikari"),
                New("c3", "C-2", PURPOSE_TELEMARKETING, "hikari", "p1", "m1")});
  Apply(index, {State("c1", "C-1", v1::CONSENT_STATE_WITHDRAWN),
                New("c2", "C-2", PURPOSE_AD_INSERT, "hikari"),  // again
                State("nope", "C-1", v1::CONSENT_STATE_WITHDRAWN)});
  const auto counts = index.CountsByPurposeAndState();
  using Key = std::pair<std::string, std::string>;
  EXPECT_EQ(counts.at(Key("AD_INSERT", "GRANTED")), 1u);
  EXPECT_EQ(counts.at(Key("AD_INSERT", "WITHDRAWN")), 1u);
  EXPECT_EQ(counts.at(Key("TELEMARKETING", "GRANTED")), 1u);
  EXPECT_EQ(counts.at(Key("TELEMARKETING", "WITHDRAWN")), 0u);
}

}  // namespace
}  // namespace gatekeeper

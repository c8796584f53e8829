#include "daemon/store/consent_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatekeeper {
namespace {

using v1::CONSENT_STATE_GRANTED;
using v1::CONSENT_STATE_WITHDRAWN;
using v1::PURPOSE_AD_INSERT;
using v1::PURPOSE_TELEMARKETING;

ConsentIndex::Change New(std::string consent, std::string customer,
                         v1::Purpose purpose, std::string company,
                         std::string phone = "", std::string masked = "") {
  ConsentIndex::Change c{{}, /*only_state=*/false};
  c.entry.fact.consent_id = std::move(consent);
  c.entry.fact.customer_id = std::move(customer);
  c.entry.fact.phone_pseudonym = std::move(phone);
  c.entry.fact.collected_at = 100;
  c.entry.fact.expires_at = 200;
  c.entry.fact.state = CONSENT_STATE_GRANTED;
  c.entry.purpose = purpose;
  c.entry.company_id = std::move(company);
  c.phone_masked = std::move(masked);
  return c;
}

ConsentIndex::Change State(std::string consent, std::string customer,
                           v1::ConsentState state) {
  ConsentIndex::Change c{{}, /*only_state=*/true};
  c.entry.fact.consent_id = std::move(consent);
  c.entry.fact.customer_id = std::move(customer);
  c.entry.fact.state = state;
  return c;
}

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

}  // namespace
}  // namespace gatekeeper

// Consent index changes for the index's tests (consent_index_test.cc,
// index_snapshot_test.cc).
#ifndef GATEKEEPER_TESTS_TESTING_INDEX_CHANGES_H_
#define GATEKEEPER_TESTS_TESTING_INDEX_CHANGES_H_

#include <string>
#include <utility>

#include "daemon/store/consent_index.h"

namespace gatekeeper::testing {

// A new GRANTED consent, collected at 100, expiring at 200.
inline ConsentIndex::Change New(std::string consent, std::string customer,
                                v1::Purpose purpose, std::string company,
                                std::string phone = "",
                                std::string masked = "") {
  ConsentIndex::Change c{{}, /*only_state=*/false};
  c.entry.fact.consent_id = std::move(consent);
  c.entry.fact.customer_id = std::move(customer);
  c.entry.fact.phone_pseudonym = std::move(phone);
  c.entry.fact.collected_at = 100;
  c.entry.fact.expires_at = 200;
  c.entry.fact.state = v1::CONSENT_STATE_GRANTED;
  c.entry.purpose = purpose;
  c.entry.company_id = std::move(company);
  c.phone_masked = std::move(masked);
  return c;
}

// A new state of a known consent, or (removed) its removal by retention.
inline ConsentIndex::Change State(std::string consent, std::string customer,
                                  v1::ConsentState state,
                                  bool removed = false) {
  ConsentIndex::Change c{{}, /*only_state=*/true};
  c.entry.fact.consent_id = std::move(consent);
  c.entry.fact.customer_id = std::move(customer);
  c.entry.fact.state = state;
  c.removed = removed;
  return c;
}

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_INDEX_CHANGES_H_

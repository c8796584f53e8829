// Plain data that the store hands to policy: what the policy needs to know of
// a consent, and nothing else.
#ifndef GATEKEEPER_DAEMON_COMMON_FACTS_H_
#define GATEKEEPER_DAEMON_COMMON_FACTS_H_

#include <cstdint>
#include <string>

#include "daemon/common/clock.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {

struct ConsentFact {
  std::string consent_id;
  std::string customer_id;
  std::string phone_pseudonym;  // raw HMAC; empty for AD_INSERT consents
  Micros collected_at = 0;
  Micros expires_at = 0;  // 0 = never expires
  gatekeeper::v1::ConsentState state =
      gatekeeper::v1::CONSENT_STATE_UNSPECIFIED;  // of the latest event
};

// An active do-not-solicit entry (特定商取引法 Art. 17): the seller may not
// call the customer, nor the number, about the goods type (any goods type
// when all_goods_types).
struct DoNotSolicitFact {
  std::string entry_id;
  std::string customer_id;
  std::string phone_pseudonym;  // raw HMAC; may be empty
  std::string company_id;
  std::string goods_type;  // empty when all_goods_types
  bool all_goods_types = false;
};

// ALLOWed dials to one number that count against the frequency caps.
struct DialCounts {
  uint32_t campaign_today = 0;  // for the campaign, on the local day
  uint32_t company_30d = 0;     // for the seller, in the last 30 days
};

// What the audit log says about a decision that a call report names: the
// store reads it from the decision's entry, policy judges the report by it.
struct LoggedDecision {
  std::string decision_id;
  uint64_t audit_seq = 0;
  Micros decided_at = 0;
  std::string kind;  // the entry's kind: "decision.dial", "decision.insert"
  gatekeeper::v1::Verdict verdict = gatekeeper::v1::VERDICT_UNSPECIFIED;
  std::string customer_id;
  std::string company_id;
  std::string campaign_id;
  std::string agent_id;
  std::string consent_id;
  std::string phone_pseudonym;  // raw HMAC; empty unless a dial
  std::string phone_masked;
  std::string goods_type;  // the disclosure's (the campaign's)
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_FACTS_H_

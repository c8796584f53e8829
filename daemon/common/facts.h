// Plain data that the store hands to policy: what the policy needs to know of
// a consent, and nothing else.
#ifndef GATEKEEPER_DAEMON_COMMON_FACTS_H_
#define GATEKEEPER_DAEMON_COMMON_FACTS_H_

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

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_FACTS_H_

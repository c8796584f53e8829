// The decision rules: pure functions of (campaign, consents, request, now). No
// I/O, no clock, no gRPC: everything they need comes in as arguments, so every
// rule is a row in tests/unit/policy_test.cc. Thread-safe.
//
// A consent is effective at `now` when its latest event is GRANTED,
// collected_at <= now, and expires_at is unset or later than now.
// ALLOW needs an APPROVED campaign of the right kind whose window
// [starts_at, ends_at) contains now, and an effective consent. Every reason
// that applies is listed; an ALLOW lists exactly REASON_CONSENT_ON_RECORD.
#ifndef GATEKEEPER_DAEMON_POLICY_DECIDE_H_
#define GATEKEEPER_DAEMON_POLICY_DECIDE_H_

#include <span>
#include <string>
#include <vector>

#include "daemon/common/clock.h"
#include "daemon/common/facts.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper::policy {

// Bumped whenever a rule changes; recorded with every decision.
inline constexpr char kPolicyVersion[] = "2026-11-28.1";

struct Outcome {
  v1::Verdict verdict = v1::VERDICT_BLOCK;
  std::vector<v1::Reason> reasons;
  std::string consent_id;  // set on ALLOW only
  std::string explanation;
};

// `campaign` is null when no campaign has the requested id. `consents` are the
// customer's AD_INSERT consents for the campaign's company.
Outcome DecideInsert(const v1::Campaign* campaign,
                     std::span<const ConsentFact> consents, Micros now);

struct DialQuery {
  std::string customer_id;      // empty when the dialer did not give one
  std::string phone_pseudonym;  // of the number to dial
};

// `consents` are TELEMARKETING consents for the campaign's company: the
// customer's (any number) when a customer is given, else those bound to the
// number. Rows that do not belong to the query are ignored.
Outcome DecideDial(const v1::Campaign* campaign, const DialQuery& query,
                   std::span<const ConsentFact> consents, Micros now);

// The outcome when the state could not be read: never ALLOW.
Outcome InternalError(std::string_view what);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_DECIDE_H_

// The decision rules: pure functions of (campaign, consents, request, now). No
// I/O, no clock, no gRPC: everything they need comes in as arguments, so every
// rule is a row in tests/unit/policy_test.cc. Thread-safe.
//
// A consent is effective at `now` when its latest event is GRANTED,
// collected_at <= now, and expires_at is unset or later than now.
// ALLOW needs an APPROVED campaign of the right kind whose window
// [starts_at, ends_at) contains now, and an effective consent. A dial also
// needs to be inside the calling hours (calling.h), no active do-not-solicit
// entry of the seller for the customer or the number about the campaign's
// goods type, and every frequency cap not yet reached. Every reason that
// applies is listed; an ALLOW lists exactly REASON_CONSENT_ON_RECORD.
#ifndef GATEKEEPER_DAEMON_POLICY_DECIDE_H_
#define GATEKEEPER_DAEMON_POLICY_DECIDE_H_

#include <span>
#include <string>
#include <vector>

#include "daemon/common/clock.h"
#include "daemon/common/facts.h"
#include "daemon/policy/calling.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper::policy {

// Bumped whenever a rule changes; recorded with every decision.
inline constexpr char kPolicyVersion[] = "2026-11-30.1";

struct Outcome {
  v1::Verdict verdict = v1::VERDICT_BLOCK;
  std::vector<v1::Reason> reasons;
  std::string consent_id;  // set on ALLOW only
  std::string explanation;
  // The customer the decision is about: the request's, else the customer of
  // the consent relied on, else the only customer among the consents read
  // (empty when there is none or several).
  std::string customer_id;
};

// `campaign` is null when no campaign has the requested id. `consents` are the
// customer's AD_INSERT consents for the campaign's company.
Outcome DecideInsert(const v1::Campaign* campaign,
                     std::span<const ConsentFact> consents, Micros now);

struct DialQuery {
  std::string customer_id;      // empty when the dialer did not give one
  std::string phone_pseudonym;  // of the number to dial
};

struct DialInputs {
  const v1::Campaign* campaign = nullptr;  // null: no campaign has the id
  DialQuery query;
  // TELEMARKETING consents for the campaign's company: the customer's (any
  // number) when a customer is given, else those bound to the number. Rows
  // that do not belong to the query are ignored.
  std::span<const ConsentFact> consents;
  // Active entries naming the number or any customer of `consents` (or the
  // query's); those of other sellers or goods types are ignored.
  std::span<const DoNotSolicitFact> do_not_solicit;
  // ALLOWed dials to the number in the cap windows (CapWindowsAt(now)).
  DialCounts counts;
  Micros now = 0;
};

Outcome DecideDial(const DialInputs& in, const CallingRules& rules);

// The customers whose do-not-solicit entries a dial must read: the query's
// and those of the consents that belong to the query.
std::vector<std::string> DialSubjects(const DialQuery& query,
                                      std::span<const ConsentFact> consents);

// The outcome when the state could not be read: never ALLOW.
Outcome InternalError(std::string_view what);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_DECIDE_H_

// What the dialer reports after an ALLOWed dial, judged: the seller
// disclosures the agent made (特定商取引法 Art. 16) and what an outcome does
// (特定商取引法 Art. 17, APPI Art. 35). Pure functions of (the logged
// decision, the report, the configured profile, now); thread-safe.
#ifndef GATEKEEPER_DAEMON_POLICY_CALL_REPORTS_H_
#define GATEKEEPER_DAEMON_POLICY_CALL_REPORTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/common/clock.h"
#include "daemon/common/facts.h"
#include "daemon/config/config.h"
#include "gatekeeper/v1/call_records.pb.h"
#include "gatekeeper/v1/dial_gate.pb.h"

namespace gatekeeper::policy {

// OK for an ALLOWed dial decision; FAILED_PRECONDITION otherwise (no call was
// allowed, so there is nothing to report on).
absl::Status CheckReportable(const LoggedDecision& d);

// The disclosure items a regime requires (from the validated config).
std::vector<v1::DisclosureItem> RequiredDisclosures(const Config& config,
                                                    v1::Regime regime);

// Judges a disclosure report: every required item must have been disclosed,
// before the pitch started, by the agent the dial was allowed for. Fills
// everything but audit_seq.
v1::DisclosureReport JudgeDisclosure(
    const v1::ReportDisclosureRequest& req, const LoggedDecision& d,
    const std::vector<v1::DisclosureItem>& required, Micros now);

// The OutcomeReport to store for a request (audit_seq and the effects'
// records are the store's to fill).
v1::OutcomeReport OutcomeReportOf(const v1::ReportOutcomeRequest& req,
                                  const LoggedDecision& d, Micros now);

// What an outcome changes.
struct OutcomeEffects {
  // A do-not-solicit entry for the customer and number, the seller and the
  // campaign's goods type (REFUSED) or every goods type
  // (DO_NOT_CALL_REQUESTED).
  bool do_not_solicit = false;
  bool all_goods_types = false;
  // DO_NOT_CALL_REQUESTED: the customer's TELEMARKETING consents for the
  // seller, whatever the number.
  bool withdraw_company_consents = false;
  // WRONG_PARTY: the customer's TELEMARKETING consents naming the number,
  // for any seller (the number is not the customer's).
  bool withdraw_number_consents = false;
};
OutcomeEffects EffectsOf(v1::CallOutcome outcome);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_CALL_REPORTS_H_

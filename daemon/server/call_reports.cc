#include "daemon/server/call_reports.h"

#include "daemon/common/status_macros.h"
#include "daemon/policy/call_reports.h"
#include "daemon/policy/validate.h"
#include "daemon/server/fingerprint.h"

namespace gatekeeper {

void CallReports::ReportDisclosure(
    const v1::ReportDisclosureRequest& req,
    std::function<void(absl::StatusOr<v1::ReportDisclosureResponse>)> done) {
  const Micros now = clock_.Now();
  if (absl::Status s = policy::ValidateReportDisclosure(req, now); !s.ok()) {
    return done(s);
  }
  store_.ReportDisclosureAsync(
      req.decision_id(), Fingerprint(pseudonymizer_, "ReportDisclosure", req),
      [this, req,
       now](const LoggedDecision& d) -> absl::StatusOr<v1::DisclosureReport> {
        RETURN_IF_ERROR(policy::CheckReportable(d));
        // The campaign's regime picks the profile; campaigns do not change
        // kind or regime once created.
        auto campaign = store_.GetCampaign(d.campaign_id);
        if (!campaign.ok()) return campaign.status();
        const v1::Regime regime = *campaign != nullptr ? (*campaign)->regime()
                                                       : v1::REGIME_UNSPECIFIED;
        return policy::JudgeDisclosure(
            req, d,
            policy::RequiredDisclosures(config_.Get()->config(), regime), now);
      },
      [this, done = std::move(done)](absl::StatusOr<v1::DisclosureReport> r) {
        if (!r.ok()) return done(r.status());
        if (!r->compliant() && metrics_ != nullptr) {
          metrics_->CountDisclosureViolation();
        }
        v1::ReportDisclosureResponse resp;
        resp.set_compliant(r->compliant());
        *resp.mutable_violations() = r->violations();
        resp.set_audit_seq(r->audit_seq());
        done(std::move(resp));
      });
}

void CallReports::ReportOutcome(
    const v1::ReportOutcomeRequest& req,
    std::function<void(absl::StatusOr<v1::ReportOutcomeResponse>)> done) {
  if (absl::Status s = policy::ValidateReportOutcome(req); !s.ok()) {
    return done(s);
  }
  const Micros now = clock_.Now();
  store_.ReportOutcomeAsync(
      req.decision_id(), Fingerprint(pseudonymizer_, "ReportOutcome", req),
      [req,
       now](const LoggedDecision& d) -> absl::StatusOr<Store::JudgedOutcome> {
        RETURN_IF_ERROR(policy::CheckReportable(d));
        const policy::OutcomeEffects e = policy::EffectsOf(req.outcome());
        Store::JudgedOutcome judged;
        judged.report = policy::OutcomeReportOf(req, d, now);
        judged.changes.do_not_solicit = e.do_not_solicit;
        judged.changes.all_goods_types = e.all_goods_types;
        judged.changes.withdraw_company_consents = e.withdraw_company_consents;
        judged.changes.withdraw_number_consents = e.withdraw_number_consents;
        return judged;
      },
      [done = std::move(done)](absl::StatusOr<v1::OutcomeReport> r) {
        if (!r.ok()) return done(r.status());
        v1::ReportOutcomeResponse resp;
        resp.set_audit_seq(r->audit_seq());
        *resp.mutable_do_not_solicit() = r->do_not_solicit();
        *resp.mutable_withdrawn_consent_ids() = r->withdrawn_consent_ids();
        done(std::move(resp));
      });
}

}  // namespace gatekeeper

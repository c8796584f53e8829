#include "daemon/policy/call_reports.h"

#include <algorithm>

#include "daemon/common/strings.h"

namespace gatekeeper::policy {
namespace {

std::string ItemName(v1::DisclosureItem item) {
  const std::string& full = v1::DisclosureItem_Name(item);
  constexpr std::string_view kPrefix = "DISCLOSURE_ITEM_";
  return full.rfind(kPrefix, 0) == 0 ? full.substr(kPrefix.size()) : full;
}

}  // namespace

absl::Status CheckReportable(const LoggedDecision& d) {
  if (d.kind != "decision.dial") {
    return absl::FailedPreconditionError(StrCat("decision_id: ", d.decision_id,
                                                " is not a dial decision (",
                                                d.kind, ")"));
  }
  if (d.verdict != v1::VERDICT_ALLOW) {
    return absl::FailedPreconditionError(StrCat(
        "decision_id: ", d.decision_id, " was a BLOCK; no call was allowed"));
  }
  return absl::OkStatus();
}

std::vector<v1::DisclosureItem> RequiredDisclosures(const Config& config,
                                                    v1::Regime regime) {
  const auto& profiles = config.disclosure_profiles();
  const auto& items = regime == v1::REGIME_TELECOM_BUSINESS_ACT
                          ? profiles.telecom_business_act()
                          : profiles.tokushoho();
  std::vector<v1::DisclosureItem> out;
  for (int i : items) out.push_back(static_cast<v1::DisclosureItem>(i));
  if (out.empty()) {
    // Not validated (a config built in code): the four of Art. 16.
    out = {v1::DISCLOSURE_ITEM_SELLER_NAME, v1::DISCLOSURE_ITEM_AGENT_NAME,
           v1::DISCLOSURE_ITEM_GOODS_TYPE,
           v1::DISCLOSURE_ITEM_SOLICITATION_PURPOSE};
  }
  return out;
}

v1::DisclosureReport JudgeDisclosure(
    const v1::ReportDisclosureRequest& req, const LoggedDecision& d,
    const std::vector<v1::DisclosureItem>& required, Micros now) {
  v1::DisclosureReport r;
  r.set_decision_id(req.decision_id());
  r.set_agent_id(req.agent_id());
  *r.mutable_items() = req.items();
  *r.mutable_disclosed_at() = req.disclosed_at();
  *r.mutable_pitch_started_at() = req.pitch_started_at();
  r.set_recording_ref(req.recording_ref());
  *r.mutable_reported_at() = FromMicros(now);
  r.set_customer_id(d.customer_id);
  r.set_company_id(d.company_id);
  r.set_campaign_id(d.campaign_id);
  for (v1::DisclosureItem item : required) {
    if (std::find(req.items().begin(), req.items().end(), item) ==
        req.items().end()) {
      r.add_violations(StrCat(ItemName(item), " was not disclosed"));
    }
  }
  if (ToMicros(req.pitch_started_at()) < ToMicros(req.disclosed_at())) {
    r.add_violations("disclosed after the pitch started");
  }
  if (req.agent_id() != d.agent_id) {
    r.add_violations(StrCat("the call was made by agent ", req.agent_id(),
                            ", but the dial was allowed for agent ",
                            d.agent_id));
  }
  r.set_compliant(r.violations().empty());
  return r;
}

v1::OutcomeReport OutcomeReportOf(const v1::ReportOutcomeRequest& req,
                                  const LoggedDecision& d, Micros now) {
  v1::OutcomeReport r;
  r.set_decision_id(req.decision_id());
  r.set_agent_id(req.agent_id());
  r.set_outcome(req.outcome());
  r.set_note(req.note());
  *r.mutable_reported_at() = FromMicros(now);
  r.set_customer_id(d.customer_id);
  r.set_company_id(d.company_id);
  r.set_campaign_id(d.campaign_id);
  return r;
}

OutcomeEffects EffectsOf(v1::CallOutcome outcome) {
  OutcomeEffects e;
  switch (outcome) {
    case v1::CALL_OUTCOME_REFUSED:
      e.do_not_solicit = true;
      break;
    case v1::CALL_OUTCOME_DO_NOT_CALL_REQUESTED:
      e.do_not_solicit = true;
      e.all_goods_types = true;
      e.withdraw_company_consents = true;
      break;
    case v1::CALL_OUTCOME_WRONG_PARTY:
      e.withdraw_number_consents = true;
      break;
    default:
      break;
  }
  return e;
}

}  // namespace gatekeeper::policy

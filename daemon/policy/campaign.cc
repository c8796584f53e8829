#include "daemon/policy/campaign.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "daemon/common/strings.h"

namespace gatekeeper::policy {

v1::Campaign NewDraft(const v1::CreateCampaignRequest& req, Micros now) {
  v1::Campaign c = req.campaign();
  c.set_leaflet_sha256(absl::AsciiStrToLower(c.leaflet_sha256()));
  c.set_state(v1::CAMPAIGN_STATE_DRAFT);
  c.set_created_by(req.actor());
  c.clear_approved_by();
  c.clear_approved_at();
  *c.mutable_created_at() = FromMicros(now);
  return c;
}

absl::StatusOr<v1::Campaign> Approve(
    const v1::Campaign& current, std::string_view approver,
    std::string_view approver_principal, Micros now,
    const std::vector<std::string>& ad_display_items) {
  if (approver.empty()) {
    return absl::InvalidArgumentError("approver: is required");
  }
  if (current.state() != v1::CAMPAIGN_STATE_DRAFT) {
    return absl::FailedPreconditionError(
        StrCat("campaign ", current.campaign_id(), " is ",
               v1::CampaignState_Name(current.state()),
               "; only a DRAFT can be approved"));
  }
  if (approver == current.created_by()) {
    return absl::FailedPreconditionError(
        StrCat("approver: \"", approver, "\" created campaign ",
               current.campaign_id(), "; a second person must approve it"));
  }
  if (!approver_principal.empty() &&
      approver_principal == current.created_by_principal()) {
    return absl::FailedPreconditionError(
        StrCat("approver: principal ", approver_principal, " created campaign ",
               current.campaign_id(), "; a second principal must approve it"));
  }
  if (current.kind() == v1::CAMPAIGN_KIND_CALL &&
      current.regime() == v1::REGIME_UNSPECIFIED) {
    return absl::FailedPreconditionError(
        StrCat("regime: CALL campaign ", current.campaign_id(),
               " has no regime (REGIME_TOKUSHOHO or "
               "REGIME_TELECOM_BUSINESS_ACT); it cannot be approved"));
  }
  if (current.kind() == v1::CAMPAIGN_KIND_INSERT) {
    std::vector<std::string> missing;
    if (current.leaflet_sha256().empty()) missing.push_back("leaflet_sha256");
    if (current.legal_review_id().empty()) missing.push_back("legal_review_id");
    for (const std::string& item : ad_display_items) {
      auto it = current.disclosures().find(item);
      if (it == current.disclosures().end() || it->second.empty()) {
        missing.push_back(StrCat("disclosures[", item, "]"));
      }
    }
    if (!missing.empty()) {
      return absl::FailedPreconditionError(
          StrCat("INSERT campaign ", current.campaign_id(),
                 " cannot be approved (特定商取引法 Art. 11); missing: ",
                 absl::StrJoin(missing, ", ")));
    }
  }
  v1::Campaign c = current;
  c.set_state(v1::CAMPAIGN_STATE_APPROVED);
  c.set_approved_by(std::string(approver));
  *c.mutable_approved_at() = FromMicros(now);
  return c;
}

absl::StatusOr<v1::Campaign> Retire(const v1::Campaign& current) {
  if (current.state() == v1::CAMPAIGN_STATE_RETIRED) {
    return absl::FailedPreconditionError(
        StrCat("campaign ", current.campaign_id(), " is already RETIRED"));
  }
  v1::Campaign c = current;
  c.set_state(v1::CAMPAIGN_STATE_RETIRED);
  return c;
}

}  // namespace gatekeeper::policy

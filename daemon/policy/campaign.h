// Campaign lifecycle rules: DRAFT -> APPROVED -> RETIRED, DRAFT -> RETIRED.
// Pure functions of (campaign, actor, now); errors are FAILED_PRECONDITION
// (fix the state first) or INVALID_ARGUMENT. Thread-safe.
#ifndef GATEKEEPER_DAEMON_POLICY_CAMPAIGN_H_
#define GATEKEEPER_DAEMON_POLICY_CAMPAIGN_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "gatekeeper/v1/campaign_service.pb.h"

namespace gatekeeper::policy {

// The campaign to store for a validated CreateCampaign: state DRAFT, created
// by the actor, approval fields cleared.
v1::Campaign NewDraft(const v1::CreateCampaignRequest& req, Micros now);

// Two-person rule: the approver must not be the creator, by name, nor, with
// authentication on, by principal (`approver_principal`, empty without
// authentication, against Campaign.created_by_principal). A CALL campaign
// needs a regime (it selects the disclosure profile). An INSERT campaign needs
// its leaflet's hash, its legal review id and a value for every one of
// `ad_display_items` (特定商取引法 Art. 11): FAILED_PRECONDITION naming every
// one missing, in one message.
absl::StatusOr<v1::Campaign> Approve(
    const v1::Campaign& current, std::string_view approver,
    std::string_view approver_principal, Micros now,
    const std::vector<std::string>& ad_display_items);

absl::StatusOr<v1::Campaign> Retire(const v1::Campaign& current);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_CAMPAIGN_H_

// The campaigns table: each campaign stored whole (serialized v1.Campaign),
// keyed by its id. The store serves reads from memory; these run on the
// writer's connection and at open.
#ifndef GATEKEEPER_DAEMON_STORE_CAMPAIGN_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_CAMPAIGN_RECORDS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/write_context.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {

using CampaignMap = std::map<std::string, v1::Campaign, std::less<>>;

absl::StatusOr<std::optional<v1::Campaign>> ReadCampaign(
    sqlite::Connection& db, std::string_view campaign_id);

// Inserts or updates the campaign (the caller appends its audit entry).
absl::Status PutCampaign(WriteContext& w, const v1::Campaign& c, bool insert);

// Every campaign (at open). DATA_LOSS when one does not parse.
absl::StatusOr<CampaignMap> LoadCampaigns(sqlite::Connection& db);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CAMPAIGN_RECORDS_H_

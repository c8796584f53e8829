// Which roles may call which RPC (README, "Security"): the role matrix. Pure.
#ifndef GATEKEEPER_DAEMON_POLICY_ACCESS_POLICY_H_
#define GATEKEEPER_DAEMON_POLICY_ACCESS_POLICY_H_

#include <string_view>
#include <utility>
#include <vector>

#include "daemon/common/roles.h"

namespace gatekeeper::policy {

// The roles that may call `method`, a full gRPC method name
// ("/gatekeeper.v1.ConsentService/RecordConsent"); admin is among them for
// every method of ours. 0 for a method not in the table: nobody may call it.
RoleSet RolesFor(std::string_view method);

// Every method in the table with its roles, in the table's order.
const std::vector<std::pair<std::string_view, RoleSet>>& AccessTable();

// Whether a caller holding `roles` may name another person in a request's
// actor fields: a dialer's service account names its agents (agent_id), a
// consent writer records who collected each consent (collected_by), an admin
// acts for anyone. Everyone else must name themselves.
inline constexpr RoleSet kActsForOthers =
    kRoleDialer | kRoleConsentWriter | kRoleAdmin;
bool MayActForOthers(RoleSet roles);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_ACCESS_POLICY_H_

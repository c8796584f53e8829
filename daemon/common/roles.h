// The roles a principal may hold (config `principals[].roles`; README,
// "Security"), as bits of a RoleSet.
#ifndef GATEKEEPER_DAEMON_COMMON_ROLES_H_
#define GATEKEEPER_DAEMON_COMMON_ROLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatekeeper {

enum Role : uint32_t {
  kRolePrintShop = 1u << 0,       // InsertGate: print checks, runs, reconcile
  kRoleDialer = 1u << 1,          // DialGate
  kRoleConsentWriter = 1u << 2,   // record, withdraw, import consents
  kRoleCampaignEditor = 1u << 3,  // create and retire campaigns
  kRoleCompliance = 1u << 4,      // approve campaigns, clear do-not-solicit
  kRoleAuditor = 1u << 5,         // read the log, consents and lists
  kRoleAdmin = 1u << 6,           // everything
};
using RoleSet = uint32_t;

inline constexpr Role kAllRoles[] = {
    kRolePrintShop,  kRoleDialer,  kRoleConsentWriter, kRoleCampaignEditor,
    kRoleCompliance, kRoleAuditor, kRoleAdmin};

// "print_shop", "dialer", ...
std::string_view RoleName(Role role);
// The role of a name, or nullopt.
std::optional<Role> RoleByName(std::string_view name);
// "print_shop, admin": the names of the set's roles in kAllRoles order.
std::string RoleNames(RoleSet roles);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_ROLES_H_

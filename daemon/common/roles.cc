#include "daemon/common/roles.h"

namespace gatekeeper {

std::string_view RoleName(Role role) {
  switch (role) {
    case kRolePrintShop:
      return "print_shop";
    case kRoleDialer:
      return "dialer";
    case kRoleConsentWriter:
      return "consent_writer";
    case kRoleCampaignEditor:
      return "campaign_editor";
    case kRoleCompliance:
      return "compliance";
    case kRoleAuditor:
      return "auditor";
    case kRoleAdmin:
      return "admin";
  }
  return "";
}

std::optional<Role> RoleByName(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string RoleNames(RoleSet roles) {
  std::string out;
  for (Role r : kAllRoles) {
    if ((roles & r) == 0) continue;
    if (!out.empty()) out += ", ";
    out += RoleName(r);
  }
  return out;
}

}  // namespace gatekeeper

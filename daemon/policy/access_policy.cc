#include "daemon/policy/access_policy.h"

#include <unordered_map>

namespace gatekeeper::policy {

const std::vector<std::pair<std::string_view, RoleSet>>& AccessTable() {
  constexpr RoleSet kA = kRoleAdmin;
  constexpr RoleSet kReaders =
      kRoleCampaignEditor | kRoleCompliance | kRoleAuditor | kA;
  static const std::vector<std::pair<std::string_view, RoleSet>> table = {
      // The print shop's gate and its runs.
      {"/gatekeeper.v1.InsertGate/CheckInsert", kRolePrintShop | kA},
      {"/gatekeeper.v1.InsertGate/CheckInsertBatch", kRolePrintShop | kA},
      {"/gatekeeper.v1.InsertGate/ReconcileRun", kRolePrintShop | kA},
      {"/gatekeeper.v1.InsertGate/PullList", kRolePrintShop | kA},
      // The dialer's gate and what it reports of each call.
      {"/gatekeeper.v1.DialGate/CheckDial", kRoleDialer | kA},
      {"/gatekeeper.v1.DialGate/ReportDisclosure", kRoleDialer | kA},
      {"/gatekeeper.v1.DialGate/ReportOutcome", kRoleDialer | kA},
      // Consents.
      {"/gatekeeper.v1.ConsentService/RecordConsent", kRoleConsentWriter | kA},
      {"/gatekeeper.v1.ConsentService/WithdrawConsent",
       kRoleConsentWriter | kA},
      {"/gatekeeper.v1.ConsentService/ImportConsents", kRoleConsentWriter | kA},
      {"/gatekeeper.v1.ConsentService/ListConsents", kRoleAuditor | kA},
      {"/gatekeeper.v1.ConsentService/ListDoNotSolicit", kRoleAuditor | kA},
      {"/gatekeeper.v1.ConsentService/ExportConsents", kRoleAuditor | kA},
      {"/gatekeeper.v1.ConsentService/ClearDoNotSolicit", kRoleCompliance | kA},
      // Campaigns: editors write, compliance approves, the readers read.
      {"/gatekeeper.v1.CampaignService/CreateCampaign",
       kRoleCampaignEditor | kA},
      {"/gatekeeper.v1.CampaignService/RetireCampaign",
       kRoleCampaignEditor | kA},
      {"/gatekeeper.v1.CampaignService/ApproveCampaign", kRoleCompliance | kA},
      {"/gatekeeper.v1.CampaignService/GetCampaign", kReaders},
      {"/gatekeeper.v1.CampaignService/ListCampaigns", kReaders},
      // The log. A subject report answers a customer's request (compliance)
      // and is read by auditors.
      {"/gatekeeper.v1.AuditService/QueryAudit", kRoleAuditor | kA},
      {"/gatekeeper.v1.AuditService/VerifyAudit", kRoleAuditor | kA},
      {"/gatekeeper.v1.AuditService/SubjectReport",
       kRoleCompliance | kRoleAuditor | kA},
      {"/gatekeeper.v1.AuditService/WatchAudit", kRoleAuditor | kA},
      {"/gatekeeper.v1.AuditService/GetCheckpoint", kRoleAuditor | kA},
      {"/gatekeeper.v1.AuditService/ProveEntry", kRoleAuditor | kA},
      {"/gatekeeper.v1.AuditService/ProveConsistency", kRoleAuditor | kA},
      // Operating the data.
      {"/gatekeeper.v1.AdminService/Backup", kA},
      {"/gatekeeper.v1.AdminService/Purge", kA},
  };
  return table;
}

RoleSet RolesFor(std::string_view method) {
  // Asked on every call: a hash lookup, not a walk of the table.
  static const auto* const by_name = [] {
    auto* m = new std::unordered_map<std::string_view, RoleSet>();
    for (const auto& [name, roles] : AccessTable()) m->emplace(name, roles);
    return m;
  }();
  const auto it = by_name->find(method);
  return it == by_name->end() ? 0 : it->second;
}

bool MayActForOthers(RoleSet roles) { return (roles & kActsForOthers) != 0; }

}  // namespace gatekeeper::policy

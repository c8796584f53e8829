// The gkctl command groups. Each Add*Commands registers its subcommands on
// `app`; the one given on the command line sets `action`.
#ifndef GATEKEEPER_CLIENTS_GKCTL_COMMANDS_H_
#define GATEKEEPER_CLIENTS_GKCTL_COMMANDS_H_

#include "clients/gkctl/common.h"

namespace gkctl {

// consent record | withdraw | list | import | export
void AddConsentCommands(CLI::App& app, const Globals& g, Action* action);
// consent import | export, on the "consent" group (consent_file.cc)
void AddConsentFileCommands(CLI::App& group, const Globals& g, Action* action);
// campaign create | approve | retire | get | list
void AddCampaignCommands(CLI::App& app, const Globals& g, Action* action);
// check insert | dial
void AddCheckCommands(CLI::App& app, const Globals& g, Action* action);
// audit tail | verify | run-digest
void AddAuditCommands(CLI::App& app, const Globals& g, Action* action);
// audit pubkey | checkpoint | prove | check-proof, added to the audit group.
void AddAuditProofCommands(CLI::App& group, const Globals& g, Action* action);
// audit run-digest: recomputes a print run's digest from the log (entries
// after `after`); exit 0 when it matches the logged one, 1 when it does not
// or the run is not completed.
int RecomputeRunDigest(const Globals& g, const std::string& run_id,
                       uint64_t after);
// subject report
void AddSubjectCommands(CLI::App& app, const Globals& g, Action* action);
// admin backup | purge
void AddAdminCommands(CLI::App& app, const Globals& g, Action* action);
// dnc list | clear
void AddDncCommands(CLI::App& app, const Globals& g, Action* action);
// token new
void AddTokenCommands(CLI::App& app, Action* action);

}  // namespace gkctl

#endif  // GATEKEEPER_CLIENTS_GKCTL_COMMANDS_H_

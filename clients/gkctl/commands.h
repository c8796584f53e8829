// The gkctl command groups. Each Add*Commands registers its subcommands on
// `app`; the one given on the command line sets `action`.
#ifndef GATEKEEPER_CLIENTS_GKCTL_COMMANDS_H_
#define GATEKEEPER_CLIENTS_GKCTL_COMMANDS_H_

#include "clients/gkctl/common.h"

namespace gkctl {

// consent record | withdraw | list
void AddConsentCommands(CLI::App& app, const Globals& g, Action* action);
// campaign create | approve | retire | get | list
void AddCampaignCommands(CLI::App& app, const Globals& g, Action* action);
// check insert | dial
void AddCheckCommands(CLI::App& app, const Globals& g, Action* action);
// audit tail | verify
void AddAuditCommands(CLI::App& app, const Globals& g, Action* action);
// subject report
void AddSubjectCommands(CLI::App& app, const Globals& g, Action* action);
// dnc list | clear
void AddDncCommands(CLI::App& app, const Globals& g, Action* action);

}  // namespace gkctl

#endif  // GATEKEEPER_CLIENTS_GKCTL_COMMANDS_H_

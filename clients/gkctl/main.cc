// gkctl: the admin command-line client of the Consent Gatekeeper daemon.
// Errors are one line on stderr, "gkctl: <problem>", with exit code 2.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "clients/common/security_flags.h"
#include "clients/gkctl/commands.h"

namespace {

// A deadline must be positive (fail closed) and not absurdly far.
std::string CheckTimeout(const std::string& value) {
  char* end = nullptr;
  const double seconds = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
    return "must be a number of seconds, more than 0 and at most 86400";
  }
  return {};
}

void AddGlobalOptions(CLI::App& app, gkctl::Globals& g) {
  app.add_option("--target", g.target, "Daemon address")
      ->type_name("HOST:PORT")
      ->envname("GATEKEEPER_TARGET")
      ->capture_default_str();
  app.add_option(
         "--timeout", g.timeout_seconds,
         "Deadline of every call (0 < SECONDS <= 86400); a timeout is an "
         "error")
      ->type_name("SECONDS")
      ->check(CLI::Validator(CheckTimeout, ""))
      ->capture_default_str();
  app.add_flag("--json", g.json,
               "Print the response message(s) as protobuf JSON, one per line");
  gatekeeper::clients::AddSecurityOptions(app, g.security);
}

// Help goes to stdout with exit 0; a usage problem is one line, exit 2.
int ParseFailed(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e);
  std::cerr << "gkctl: " << e.what() << " (see --help)\n";
  return gkctl::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gkctl: admin client of the Consent Gatekeeper daemon", "gkctl"};
  app.fallthrough();  // Global options also after the subcommand.
  app.require_subcommand(1);
  gkctl::Globals g;
  AddGlobalOptions(app, g);
  gkctl::Action action;
  gkctl::AddConsentCommands(app, g, &action);
  gkctl::AddCampaignCommands(app, g, &action);
  gkctl::AddCheckCommands(app, g, &action);
  gkctl::AddAuditCommands(app, g, &action);
  gkctl::AddSubjectCommands(app, g, &action);
  gkctl::AddDncCommands(app, g, &action);
  gkctl::AddAdminCommands(app, g, &action);
  gkctl::AddTokenCommands(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ParseFailed(app, e);
  }
  try {
    return action();
  } catch (const std::exception& e) {
    std::cerr << "gkctl: " << e.what() << "\n";
    return gkctl::kExitError;
  }
}

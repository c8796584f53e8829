// gk-dial-hook: the dialer's command line to the Consent Gatekeeper daemon,
// on libgkdial: check a number before dialling, report the disclosures and
// the outcome, or run as an Asterisk AGI script. Fails closed: exit 0 from
// check means the daemon said ALLOW, nothing else does. Errors are one line
// on stderr, "gk-dial-hook: <problem>", with exit code 2.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "clients/common/security_flags.h"
#include "clients/dial-hook/commands.h"

namespace {

void AddGlobalOptions(CLI::App& app, gkhook::Globals& g) {
  app.add_option("--target", g.target, "Daemon address")
      ->type_name("HOST:PORT")
      ->envname("GATEKEEPER_TARGET")
      ->capture_default_str();
  app.add_option("--timeout-ms", g.timeout_ms,
                 "Deadline of every call; a timeout is an error (fail closed)")
      ->type_name("MS")
      ->check(CLI::Range(1, GK_DIAL_MAX_TIMEOUT_MS))
      ->capture_default_str();
  app.add_flag("--json", g.json,
               "Print the answer as one JSON object (check, disclosure, "
               "outcome)");
  gatekeeper::clients::AddSecurityOptions(app, g.security);
}

// Help goes to stdout with exit 0; a usage problem is one line, exit 2.
int ParseFailed(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e);
  std::cerr << "gk-dial-hook: " << e.what() << " (see --help)\n";
  return gkhook::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gk-dial-hook: may this number be dialled? The Consent Gatekeeper's "
      "dialer hook (fails closed)",
      "gk-dial-hook"};
  app.fallthrough();  // Global options also after the subcommand.
  app.require_subcommand(1);
  gkhook::Globals g;
  AddGlobalOptions(app, g);
  gkhook::Action action;
  gkhook::AddCheck(app, g, &action);
  gkhook::AddDisclosure(app, g, &action);
  gkhook::AddOutcome(app, g, &action);
  gkhook::AddAgi(app, g, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ParseFailed(app, e);
  }
  try {
    return action();
  } catch (const std::exception& e) {
    std::cerr << "gk-dial-hook: " << e.what() << "\n";
    return gkhook::kExitError;
  }
}

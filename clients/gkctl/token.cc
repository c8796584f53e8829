// gkctl token new: a fresh bearer token for a principal, and the config line
// that lets the daemon recognise it (only the token's SHA-256 is configured;
// README, "Security").
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "clients/common/channel.h"
#include "clients/gkctl/commands.h"
#include "daemon/common/roles.h"

namespace gkctl {
namespace {

struct TokenOptions {
  std::string name;
  std::vector<std::string> roles;
  std::string out;
};

int NewTokenCommand(const TokenOptions& o) {
  if (o.name.empty()) throw Error("--name: is required");
  if (o.roles.empty()) throw Error("--role: at least one is required");
  std::string roles;
  for (const std::string& r : o.roles) {
    if (!gatekeeper::RoleByName(r)) {
      throw Error("--role: unknown role \"" + r + "\" (expected one of " +
                  gatekeeper::RoleNames(~0u) + ")");
    }
    if (!roles.empty()) roles += ", ";
    roles += r;
  }
  const std::string token = gatekeeper::clients::NewToken();
  if (token.empty()) throw Error("the system's random source failed");
  if (!o.out.empty()) {
    // A new file only: an existing token is not overwritten.
    const int fd =
        ::open(o.out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw Error("--out: cannot create " + o.out + ": " +
                  std::strerror(errno));
    }
    const std::string line = token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) ==
                             static_cast<ssize_t>(line.size()) &&
                         ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
      ::unlink(o.out.c_str());
      throw Error("--out: cannot write " + o.out);
    }
  } else {
    std::cout << token << "\n";
  }
  std::cout << "  - {name: " << o.name
            << ", token_sha256: " << gatekeeper::clients::TokenSha256(token)
            << ", roles: [" << roles << "]}\n";
  return kExitOk;
}

}  // namespace

void AddTokenCommands(CLI::App& app, Action* action) {
  CLI::App* group = app.add_subcommand("token", "Bearer tokens of principals");
  group->require_subcommand(1);
  auto o = std::make_shared<TokenOptions>();
  CLI::App* cmd = group->add_subcommand(
      "new",
      "Print a fresh token (or write it to --out, mode 0600) and the "
      "config principals line holding its SHA-256");
  cmd->add_option("--name", o->name, "The principal's name")->required();
  cmd->add_option("--role", o->roles,
                  "A role: print_shop, dialer, consent_writer, "
                  "campaign_editor, compliance, auditor or admin (repeat "
                  "for more)")
      ->required();
  cmd->add_option("--out", o->out,
                  "Write the token to this new file instead of stdout");
  OnSelect(cmd, action, [o] { return NewTokenCommand(*o); });
}

}  // namespace gkctl

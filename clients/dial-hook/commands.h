// gk-dial-hook's pieces: global options, exit codes, owners of libgkdial's
// handle and results, and the subcommands (check, disclosure, outcome, agi),
// each registered on the CLI11 app by its Add* function. Single-threaded: one
// command runs per process.
#ifndef GATEKEEPER_CLIENTS_DIAL_HOOK_COMMANDS_H_
#define GATEKEEPER_CLIENTS_DIAL_HOOK_COMMANDS_H_

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "clients/common/channel.h"
#include "gk_dial.h"

namespace CLI {
class App;
}  // namespace CLI

namespace gkhook {

// Exit codes. check: ALLOW, BLOCK, error. disclosure: compliant, violations,
// error. outcome and agi: done, -, error. Usage problems are errors too.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBlock = 1;
inline constexpr int kExitError = 2;

// Options accepted before or after the subcommand.
struct Globals {
  std::string target = GK_DIAL_DEFAULT_TARGET;
  int timeout_ms = GK_DIAL_DEFAULT_TIMEOUT_MS;
  bool json = false;
  gatekeeper::clients::ChannelSecurity security;
};

// Any failure: main prints "gk-dial-hook: <what>" on one line, exits 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HandleCloser {
  void operator()(gk_dial* h) const { gk_dial_close(h); }
};
using Handle = std::unique_ptr<gk_dial, HandleCloser>;

struct ResultFree {
  void operator()(gk_result* r) const { gk_result_free(r); }
};
using Result = std::unique_ptr<gk_result, ResultFree>;

// Opens a handle with --target and --timeout-ms; throws Error on bad options.
Handle Open(const Globals& g);

// The reasons of a check result, joined by `sep`.
std::string JoinReasons(const gk_result* r, std::string_view sep);

// The command chosen on the command line; returns the exit code.
using Action = std::function<int()>;

// check: may this number be dialled? Exit 0 ALLOW, 1 BLOCK, 2 error.
void AddCheck(CLI::App& app, const Globals& g, Action* action);
// disclosure: report what the agent disclosed. Exit 0 compliant, 1 recorded
// with violations, 2 error.
void AddDisclosure(CLI::App& app, const Globals& g, Action* action);
// outcome: report how the call ended. Exit 0 recorded, 2 error.
void AddOutcome(CLI::App& app, const Globals& g, Action* action);
// agi: the check as an Asterisk AGI script (agi.cc). Exit 0 when the
// daemon's decision is in the channel variables, 2 on any failure.
void AddAgi(CLI::App& app, const Globals& g, Action* action);

}  // namespace gkhook

#endif  // GATEKEEPER_CLIENTS_DIAL_HOOK_COMMANDS_H_

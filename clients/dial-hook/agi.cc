// gk-dial-hook agi: the dial check as an Asterisk AGI script.
//
// Protocol (stdin/stdout): Asterisk writes the AGI environment, lines
// "agi_name: value" ended by a blank line; the script then sends commands,
// one line each, and reads one reply line per command ("200 result=1" for a
// SET VARIABLE that worked).
//
// The number is agi_extension, the agent agi_arg_1 and the customer, when
// given, agi_arg_2 (the AGI() application's arguments after the script).
// Extra command-line arguments are accepted and ignored: Asterisk passes the
// same arguments on argv, after whatever a wrapper script puts first.
//
// Fail closed: the first command sets GK_VERDICT to BLOCK, and ALLOW is only
// set last, once the decision id, reasons and script are in place. Any
// failure leaves BLOCK (if the channel still listens) and exits 2.
// Single-threaded.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <map>

#include "clients/dial-hook/commands.h"

namespace gkhook {
namespace {

// Asterisk reads a command into a 2,048-byte buffer (res_agi.c AGI_BUF_LEN):
// a longer line would be cut and its rest read as another command.
constexpr size_t kMaxCommandLine = 2046;  // plus the newline, plus NUL
// GK_ERROR is only informative: cut to this many bytes.
constexpr size_t kMaxErrorBytes = 1000;

struct AgiOptions {
  std::string campaign;
  std::vector<std::string> args;  // ignored (see above)
};

// What the channel variables will say.
struct Answer {
  bool allow = false;
  std::string decision_id;
  std::string reasons;
  std::string script;
  std::string error;  // empty when the daemon's decision is in the answer
};

// `value` as one AGI argument: in double quotes, with backslash and double
// quote escaped (res_agi.c parse_args), and control characters, which would
// end or corrupt the line, as spaces (a script's newlines included).
std::string Quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// At most `max` bytes of UTF-8 `s`, not cutting a character.
std::string CutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// The command that sets channel variable `name` to `value`.
std::string SetCommand(std::string_view name, std::string_view value) {
  return "SET VARIABLE " + std::string(name) + " " + Quote(value);
}

class AgiChannel {
 public:
  // Reads the environment up to the blank line; throws Error on EOF.
  std::map<std::string, std::string> ReadEnvironment() {
    std::map<std::string, std::string> env;
    std::string line;
    while (true) {
      if (!std::getline(std::cin, line)) {
        throw Error("AGI: stdin ended before the environment's blank line");
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) return env;
      const size_t colon = line.find(": ");
      if (colon == std::string::npos) {
        // "agi_arg_2:" with an empty value has no space after the colon.
        if (!line.empty() && line.back() == ':') {
          env[line.substr(0, line.size() - 1)] = "";
          continue;
        }
        throw Error("AGI: not an environment line: \"" + CutUtf8(line, 80) +
                    "\"");
      }
      env[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }

  // SET VARIABLE name "value"; throws Error unless Asterisk answers
  // "200 result=1".
  void SetVariable(std::string_view name, std::string_view value) {
    const std::string command = SetCommand(name, value);
    if (command.size() > kMaxCommandLine) {
      throw Error("AGI: " + std::string(name) + " is " +
                  std::to_string(value.size()) +
                  " bytes, too long for one AGI command line (at most " +
                  std::to_string(kMaxCommandLine) + " bytes)");
    }
    std::cout << command << "\n" << std::flush;
    if (!std::cout) throw Error("AGI: cannot write to stdout");
    std::string reply;
    if (!std::getline(std::cin, reply)) {
      throw Error("AGI: no reply to SET VARIABLE " + std::string(name));
    }
    if (!reply.empty() && reply.back() == '\r') reply.pop_back();
    constexpr std::string_view kOk = "200 result=1";
    if (reply.compare(0, kOk.size(), kOk) != 0 ||
        (reply.size() > kOk.size() && reply[kOk.size()] != ' ')) {
      throw Error("AGI: SET VARIABLE " + std::string(name) +
                  " was answered \"" + CutUtf8(reply, 200) + "\"");
    }
  }
};

std::string Get(const std::map<std::string, std::string>& env,
                const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

// Asks the daemon; never throws (an error is in the answer).
Answer Decide(const Globals& g, const AgiOptions& o,
              const std::map<std::string, std::string>& env) {
  Answer a;
  const std::string number = Get(env, "agi_extension");
  const std::string agent = Get(env, "agi_arg_1");
  const std::string customer = Get(env, "agi_arg_2");
  if (number.empty()) {
    a.reasons = "INVALID_ARGUMENT";
    a.error = "agi_extension: no number to check";
    return a;
  }
  if (agent.empty()) {
    a.reasons = "INVALID_ARGUMENT";
    a.error = "agi_arg_1: the agent is required (AGI(script,AGENT[,CUSTOMER]))";
    return a;
  }
  try {
    Handle h = Open(g);
    Result r(gk_dial_check(h.get(), number.c_str(), o.campaign.c_str(),
                           customer.c_str(), agent.c_str()));
    a.decision_id = gk_result_decision_id(r.get());
    a.reasons = JoinReasons(r.get(), ",");
    if (gk_result_error(r.get()) != GK_OK) {
      a.error = gk_result_error_message(r.get());
      return a;
    }
    a.allow = gk_result_verdict(r.get()) == GK_VERDICT_ALLOW;
    a.script = gk_result_script(r.get());
  } catch (const Error& e) {  // options gk_dial_open refused
    a.reasons = "INVALID_ARGUMENT";
    a.error = e.what();
  } catch (const std::exception& e) {
    a.reasons = "INTERNAL";
    a.error = e.what();
  }
  return a;
}

int RunAgi(const Globals& g, const AgiOptions& o) {
  // A closed stdout is an error to report, not a signal that kills us.
  std::signal(SIGPIPE, SIG_IGN);
  AgiChannel agi;
  std::map<std::string, std::string> env;
  try {
    env = agi.ReadEnvironment();
  } catch (const Error& e) {
    std::cerr << "gk-dial-hook: " << e.what() << "\n";
    try {
      agi.SetVariable("GK_VERDICT", "BLOCK");  // if anyone still listens
    } catch (const Error&) {
    }
    return kExitError;
  }
  try {
    agi.SetVariable("GK_VERDICT", "BLOCK");
  } catch (const Error& e) {
    std::cerr << "gk-dial-hook: " << e.what() << "\n";
    return kExitError;
  }
  Answer a = Decide(g, o, env);
  if (a.allow && SetCommand("GK_SCRIPT", a.script).size() > kMaxCommandLine) {
    // The agent could not be given the disclosures: do not dial.
    a.allow = false;
    a.reasons = "AGI_SCRIPT_TOO_LONG";
    a.error = "GK_SCRIPT: the disclosure script is " +
              std::to_string(a.script.size()) +
              " bytes, too long for one AGI command line (at most " +
              std::to_string(kMaxCommandLine) + " bytes with the command)";
  }
  try {
    agi.SetVariable("GK_DECISION_ID", a.decision_id);
    agi.SetVariable("GK_REASONS", a.reasons);
    agi.SetVariable("GK_SCRIPT", a.allow ? a.script : std::string());
    agi.SetVariable("GK_ERROR", CutUtf8(a.error, kMaxErrorBytes));
    if (a.allow && a.error.empty()) agi.SetVariable("GK_VERDICT", "ALLOW");
  } catch (const Error& e) {
    // GK_VERDICT is still BLOCK.
    std::cerr << "gk-dial-hook: " << e.what() << "\n";
    return kExitError;
  }
  if (!a.error.empty()) {
    std::cerr << "gk-dial-hook: " << a.error << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void AddAgi(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<AgiOptions>();
  CLI::App* cmd = app.add_subcommand(
      "agi",
      "Run as an Asterisk AGI script: check agi_extension for the campaign "
      "with the agent agi_arg_1 (and customer agi_arg_2, optional), set "
      "GK_VERDICT (ALLOW/BLOCK), GK_DECISION_ID, GK_REASONS, GK_SCRIPT and "
      "GK_ERROR. Exit 0 when the daemon's decision is set, 2 on any failure "
      "(GK_VERDICT stays BLOCK)");
  cmd->add_option("--campaign", o->campaign, "Call campaign id")->required();
  cmd->add_option("args", o->args,
                  "Ignored: the AGI() arguments Asterisk also passes on argv "
                  "(put -- before them)");
  cmd->callback(
      [action, &g, o] { *action = [&g, o] { return RunAgi(g, *o); }; });
}

}  // namespace gkhook

// print-gate: the print shop's client of a print run on the Consent
// Gatekeeper daemon. decide streams the biller's manifest through the insert
// gate and writes back the manifest with only the allowed leaflets, and the
// rejects; reconcile checks what the inserter did against the run; redecide
// decides reprinted pieces again; pull-list lists the pieces to pull before
// mailing. Errors are one line on stderr, "print-gate: <problem>", with exit
// code 2.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "clients/common/security_flags.h"
#include "clients/print-gate/commands.h"
#include "clients/print-gate/run.h"

namespace {

using printgate::Globals;

using Action = std::function<int()>;

// A deadline must be positive (fail closed) and not absurdly far.
std::string CheckTimeout(const std::string& value) {
  char* end = nullptr;
  const double seconds = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
    return "must be a number of seconds, more than 0 and at most 86400";
  }
  return {};
}

void AddGlobalOptions(CLI::App& app, Globals& g) {
  gatekeeper::clients::AddSecurityOptions(app, g.security);
  app.add_option("--target", g.target, "Daemon address")
      ->type_name("HOST:PORT")
      ->envname("GATEKEEPER_TARGET")
      ->capture_default_str();
  app.add_option("--timeout", g.timeout_seconds,
                 "The longest the daemon may stay silent while an answer is "
                 "due (0 < SECONDS <= 86400); then the command fails, and a "
                 "run can be resumed")
      ->type_name("SECONDS")
      ->check(CLI::Validator(CheckTimeout, ""))
      ->capture_default_str();
  app.add_option("--actor", g.actor,
                 "Who runs the command, for the audit log (default: the "
                 "login name)");
}

void OnSelect(CLI::App* cmd, Action* action, Action run) {
  cmd->callback([action, run = std::move(run)] { *action = run; });
}

// The options decide and redecide share.
void AddRunOptions(CLI::App* cmd, printgate::DecideOptions& o) {
  cmd->add_option("--out", o.out, "The manifest with only the allowed codes")
      ->required();
  cmd->add_option("--rejects", o.rejects,
                  "One row per blocked code: "
                  "document_id,customer_id,insert_code,reasons")
      ->required();
  cmd->add_option("--batch-size", o.batch_size,
                  "Documents per batch (1 to 10000); a resumed run keeps the "
                  "batches it was decided in")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--in-flight", o.in_flight,
                  "Batches sent before their answers (1 to 64)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("--skip-bad", o.skip_bad,
                "Put malformed rows in the rejects file (MALFORMED_ROW) "
                "instead of failing");
  // Test hook: a run killed half-way.
  cmd->add_option("--kill-after-batches", o.kill_after_batches)->group("");
}

void AddDecide(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<printgate::DecideOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decide",
      "Decide a print run: stream the manifest through the insert gate, "
      "write the allowed codes and the rejects. Running the same command "
      "again resumes an interrupted run. Exit 0 done, 2 error");
  cmd->add_option("--manifest", o->manifest,
                  "The biller's manifest: document_id,customer_id,"
                  "insert_codes")
      ->required();
  cmd->add_option("--run-id", o->run_id, "Print run id, [A-Za-z0-9._-] 1 to 64")
      ->required();
  AddRunOptions(cmd, *o);
  OnSelect(cmd, action, [&g, o] { return printgate::Decide(g, *o); });
}

void AddRedecide(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<printgate::DecideOptions>();
  auto reprint_run_id = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "redecide",
      "Decide reprinted pieces again, as a new run linked to the first. "
      "Exit 0 done, 2 error");
  cmd->add_option("--run-id", o->reprint_of,
                  "The run the pieces were first decided in")
      ->required();
  cmd->add_option("--documents", o->manifest,
                  "The pieces to reprint, in the manifest's format "
                  "(reconcile --spoiled-out)")
      ->required();
  cmd->add_option("--reprint-run-id", *reprint_run_id,
                  "The new run's id (default: <run-id>.reprint-<first 8 hex "
                  "digits of the SHA-256 of the documents file>)");
  AddRunOptions(cmd, *o);
  OnSelect(cmd, action, [&g, o, reprint_run_id] {
    o->run_id = reprint_run_id->empty()
                    ? printgate::DerivedReprintRunId(o->reprint_of, o->manifest)
                    : *reprint_run_id;
    return printgate::Decide(g, *o);
  });
}

void AddReconcile(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<printgate::ReconcileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "reconcile",
      "Check the inserter's output against the run. Exit 0 no violation, 1 "
      "a piece got a leaflet that was not allowed, 2 error");
  cmd->add_option("--run-id", o->run_id, "Print run id")->required();
  cmd->add_option("--inserted", o->inserted,
                  "The inserter's output: document_id,inserted_codes,status "
                  "(OK or SPOILED)")
      ->required();
  CLI::Option* manifest = cmd->add_option(
      "--manifest", o->manifest,
      "The run's manifest (IN.csv: reprints decided over every candidate "
      "code; or its OUT.csv: over the codes first allowed)");
  cmd->add_option("--spoiled-out", o->spoiled_out,
                  "Write the spoiled pieces' rows of --manifest here, for "
                  "redecide")
      ->needs(manifest);
  OnSelect(cmd, action, [&g, o] { return printgate::Reconcile(g, *o); });
}

void AddPullList(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<printgate::PullListOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pull-list",
      "The pieces of a closed run whose leaflets are now blocked: "
      "document_id,customer_id,insert_code,reasons. Exit 0 done, 2 error");
  cmd->add_option("--run-id", o->run_id, "Print run id")->required();
  cmd->add_option("--out", o->out, "Where to write the list")->required();
  OnSelect(cmd, action, [&g, o] { return printgate::PullList(g, *o); });
}

// Help goes to stdout with exit 0; a usage problem is one line, exit 2.
int ParseFailed(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e);
  std::cerr << "print-gate: " << e.what() << " (see --help)\n";
  return printgate::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists: they all inherit the blocked signals.
  printgate::HandleInterrupts();
  CLI::App app{
      "print-gate: the print shop's client of a print run on the Consent "
      "Gatekeeper daemon",
      "print-gate"};
  app.fallthrough();  // Global options also after the command.
  app.require_subcommand(1);
  Globals g;
  AddGlobalOptions(app, g);
  Action action;
  AddDecide(app, g, &action);
  AddRedecide(app, g, &action);
  AddReconcile(app, g, &action);
  AddPullList(app, g, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ParseFailed(app, e);
  }
  try {
    return action();
  } catch (const std::exception& e) {
    std::cerr << "print-gate: " << printgate::OneLine(e.what()) << "\n";
    return printgate::kExitError;
  }
}

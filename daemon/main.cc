// gatekeeperd: parses flags, loads the config, starts the Daemon, and shuts it
// down in order on SIGTERM or SIGINT. Signals are handled on an Asio event
// loop, never inside a signal handler.
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "daemon/common/crypto.h"
#include "daemon/config/config.h"
#include "daemon/ops/log.h"
#include "daemon/ops/systemd.h"
#include "daemon/server/daemon.h"
#include "daemon/store/data_dir_check.h"

// jemalloc (linked in, see CMakeLists.txt) reads this at start: transparent
// huge pages for the heap, where the consent index lives. A check's lookup in
// it is a few random memory accesses whose TLB misses cost more than the
// accesses themselves with 4 KiB pages. MALLOC_CONF still overrides it.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,metadata_thp:always";
}

namespace {

// SIGHUP: reload, and say what happened. systemd hears of it too, so that
// `systemctl reload` waits for the outcome.
void Reload(gatekeeper::Daemon& daemon, const std::string& path) {
  gatekeeper::ops::NotifyReloading();
  auto r = daemon.ReloadConfig(path);
  if (r.ok()) {
    std::string keys;
    for (const std::string& k : r->changed) {
      keys += (keys.empty() ? "" : ", ") + k;
    }
    spdlog::info(
        "config reloaded from {} (sha256 {}, audit seq {}): {}", path,
        r->sha256, r->audit_seq,
        keys.empty() ? std::string("no setting changed") : "changed " + keys);
  } else {
    spdlog::error("config reload refused, the running config is kept: {}",
                  std::string(r.status().message()));
  }
  gatekeeper::ops::NotifyReady();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gatekeeperd: the consent gatekeeper daemon"};
  std::string config_path, check_path;
  auto* run = app.add_option("--config", config_path, "YAML config to run with")
                  ->check(CLI::ExistingFile);
  auto* check = app.add_option("--check-config", check_path,
                               "validate a config file and exit (0 ok, 2 bad)");
  std::string verify_path;
  auto* verify = app.add_option(
      "--verify-data-dir", verify_path,
      "check a data directory or a backup file offline and exit (0 good, 1 "
      "with the first problem)");
  run->excludes(check);
  run->excludes(verify);
  check->excludes(verify);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (!check_path.empty()) {
    auto config = gatekeeper::LoadConfigFile(check_path);
    if (!config.ok()) {
      std::cerr << "gatekeeperd: " << config.status().message() << "\n";
      return 2;
    }
    std::cout << check_path << ": ok\n";
    return 0;
  }
  if (!verify_path.empty()) {
    auto summary = gatekeeper::VerifyDataDir(verify_path);
    if (!summary.ok()) {
      std::cout << verify_path << ": FAILED: " << summary.status().message()
                << "\n";
      return 1;
    }
    std::cout << verify_path << ": " << *summary << "\n";
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "gatekeeperd: --config FILE is required (see --help)\n";
    return 2;
  }
  // From here on, diagnostics are JSON lines on stderr.
  gatekeeper::InitLogging();
  // Named in full in the log and in config.reloaded entries.
  config_path = std::filesystem::absolute(config_path).lexically_normal();
  // Read once: the SHA-256 is of the very bytes that were parsed.
  auto config_text = gatekeeper::ReadConfigFile(config_path);
  if (!config_text.ok()) {
    spdlog::critical("{}", std::string(config_text.status().message()));
    return 2;
  }
  auto config = gatekeeper::LoadConfigText(*config_text, config_path);
  if (!config.ok()) {
    spdlog::critical("{}", std::string(config.status().message()));
    return 2;
  }
  const std::string config_sha256 =
      gatekeeper::ToHex(gatekeeper::Sha256(*config_text));
  ::signal(SIGPIPE, SIG_IGN);
  // Everything the daemon creates (the database, its WAL and shared-memory
  // files, the key) holds personal data or protects it: owner only.
  ::umask(077);
  // Debian's Abseil is built with Mutex deadlock detection on; gRPC's mutexes
  // then record a lock graph on every acquisition (several % of a check).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Asio turns the signal into a completion on this loop (self-pipe); the
  // shutdown work runs here, not in a signal handler.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  // SIGUSR1: logrotate moved the event log away. SIGHUP (systemctl reload):
  // the config file is read again; a bad one changes nothing. Caught before
  // the port opens: a signal sent as soon as the daemon listens waits here
  // for the loop instead of killing the process.
  boost::asio::signal_set reopen(io, SIGUSR1, SIGHUP);

  auto daemon = gatekeeper::Daemon::Start(
      *std::move(config), gatekeeper::SystemClock::Get(), config_sha256);
  if (!daemon.ok()) {
    spdlog::critical("cannot start: {}",
                     std::string(daemon.status().message()));
    return 1;
  }
  // The HTTP side first: tools read the address after "listening on".
  if (const std::string http = (*daemon)->http_address(); !http.empty()) {
    std::cout << "gatekeeperd: http on " << http
              << " (/metrics, /healthz, /readyz, /)\n";
  }
  std::cout << "gatekeeperd: listening on " << (*daemon)->address() << "\n"
            << std::flush;
  spdlog::info("started: gRPC on {}{}, {}, config {} (sha256 {})",
               (*daemon)->address(),
               (*daemon)->http_address().empty()
                   ? std::string()
                   : ", http on " + (*daemon)->http_address(),
               (*daemon)->security(), config_path, config_sha256);
  if (!(*daemon)->authenticates()) {
    spdlog::warn(
        "no authentication: config principals is empty, so every caller "
        "that reaches {} may call every RPC; for development only",
        (*daemon)->address());
  }

  std::function<void(const boost::system::error_code&, int)> on_reopen =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
          Reload(**daemon, config_path);
        } else {
          (*daemon)->ReopenEventLog();
        }
        reopen.async_wait(on_reopen);
      };
  reopen.async_wait(on_reopen);
  // Listening, and SIGUSR1 handled: ready (nothing sent without systemd).
  gatekeeper::ops::NotifyReady();

  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    gatekeeper::ops::NotifyStopping();
    spdlog::info("signal {}, draining in-flight calls", signo);
    (*daemon)->Shutdown();
    reopen.cancel();
    io.stop();
  });
  io.run();
  daemon->reset();  // server stopped, store closed: everything is durable
  spdlog::info("stopped");
  // gRPC's global teardown can wait tens of seconds on a half-open client
  // connection; nothing is left to flush, so leave now to keep the 10 s
  // shutdown promise.
  std::_Exit(0);
}

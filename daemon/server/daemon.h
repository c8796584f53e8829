// A running gatekeeper: data directory, store, services and gRPC server, built
// from a validated Config. Shutdown order: health NOT_SERVING, stop accepting
// and drain in-flight calls (with a deadline), close the store (flushing
// queued audit entries). Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_DAEMON_H_
#define GATEKEEPER_DAEMON_SERVER_DAEMON_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/config/config.h"

namespace gatekeeper {

class Daemon {
 public:
  // Creates data_dir (0700) if missing, takes its lock (one daemon per
  // data_dir), opens the key and the database, and starts serving.
  // `config_sha256`: the hex SHA-256 of the file `config` was read from
  // (what a reload's audit entry names as the previous one).
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(
      Config config, const Clock& clock = SystemClock::Get(),
      std::string config_sha256 = "");
  ~Daemon();

  // The bound address, with the port actually chosen when listen used port 0.
  const std::string& address() const { return address_; }
  // The HTTP side's bound address ("" without one).
  std::string http_address() const;
  // "mutual TLS, 3 principals", "plaintext (loopback), no authentication".
  std::string security() const;
  // Whether principals are configured (now: a reload may change it).
  bool authenticates() const;

  // The event log writes to a fresh file at its path from its next line on
  // (SIGUSR1, after logrotate moved the file). No-op without an event log.
  void ReopenEventLog();

  // Reloads the config from `path` (SIGHUP): a file that does not load or
  // changes a restart-only key (listen, data_dir, ...) changes nothing and
  // the error says why; a good one is logged as config.reloaded (the file's
  // SHA-256, the keys it changed) and then taken up by every call that starts
  // after. Calls are serialized. Returns the entry's seq and the changed keys.
  struct Reloaded {
    uint64_t audit_seq = 0;
    std::string sha256;
    std::vector<std::string> changed;
  };
  absl::StatusOr<Reloaded> ReloadConfig(const std::string& path);

  // Idempotent. In-flight calls get `grace` to finish; then they are
  // cancelled.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

  struct State;

 private:
  explicit Daemon(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::string address_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_DAEMON_H_

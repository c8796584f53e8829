// print-gate's shared plumbing: global options, exit codes, the one error
// type (main prints "print-gate: <what>" and exits 2), the channel, the login
// name, and three helpers of a long streaming call: a watchdog that cancels
// the call when the daemon stays silent too long, the handling of SIGINT and
// SIGTERM (cancel the call, clean up, exit 2); the progress bar drawn on
// stderr when it is a terminal is clients/common/progress.h. Watchdog and the
// interrupt handling are thread-safe; Progress is used by one thread.
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_COMMON_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_COMMON_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "clients/common/channel.h"
#include "clients/common/progress.h"

namespace printgate {

// decide, redecide, pull-list: done / - / error. reconcile: no violation /
// a violation / error. Usage problems are errors.
inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitError = 2;

// Options accepted before or after the command.
struct Globals {
  std::string target = "127.0.0.1:50051";
  // The longest the daemon may stay silent while an answer is due.
  double timeout_seconds = 60;
  // Who runs the command (OpenRun.actor, ReconcileStart.actor); empty: the
  // caller's principal with credentials, else the login name.
  std::string actor;
  gatekeeper::clients::ChannelSecurity security;
};

// Any failure: one line on stderr, exit 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The channel to --target; messages from the daemon of any size.
std::shared_ptr<grpc::Channel> Connect(const Globals& g);

// --actor, or the login name ($USER, else the passwd entry, else uid:N).
std::string Actor(const Globals& g);

// "UNAVAILABLE: failed to connect ... (is gatekeeperd up at --target? ...)"
// on one line: for UNAVAILABLE, what to check (clients::kUnavailableHint).
std::string StatusText(const grpc::Status& s);

// Control characters (newlines included) replaced by spaces.
std::string OneLine(std::string_view s);

// Cancels a call's context when Kick() has not been called for `timeout`.
// Create it before starting the call, and kick it whenever a message goes out
// or comes in.
class Watchdog {
 public:
  Watchdog(grpc::ClientContext* ctx, std::chrono::milliseconds timeout);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void Kick();
  bool fired() const;
  // "no answer from the daemon within 60 s (--timeout)"
  static std::string Describe(std::chrono::milliseconds timeout);

 private:
  grpc::ClientContext* ctx_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point last_;  // guarded by mu_
  bool fired_ = false;                          // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  std::thread thread_;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it
// creates afterwards (call it first in main), and takes them on a thread of
// its own: the first cancels the registered call (CancelOnInterrupt) and
// makes Interrupted() true; a second one exits at once (status 2).
void HandleInterrupts();
bool Interrupted();

// Registers `ctx` to be cancelled on SIGINT/SIGTERM while this object lives.
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(grpc::ClientContext* ctx);
  ~CancelOnInterrupt();
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;
};

// Throws Error("interrupted ...") when a signal came.
void ThrowIfInterrupted();

using gkclient::Progress;
using gkclient::Thousands;

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_COMMON_H_

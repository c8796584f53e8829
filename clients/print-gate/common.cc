#include "clients/print-gate/common.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/status/status.h"

namespace printgate {
namespace {

std::atomic<bool> interrupted{false};
std::mutex interrupt_mu;
grpc::ClientContext* interrupt_ctx = nullptr;  // guarded by interrupt_mu

sigset_t InterruptSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

std::shared_ptr<grpc::Channel> Connect(const Globals& g) {
  if (g.target.empty()) throw Error("--target: must not be empty");
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  std::string error;
  auto channel =
      gatekeeper::clients::OpenChannel(g.target, g.security, args, &error);
  if (channel == nullptr) throw Error(error);
  return channel;
}

std::string Actor(const Globals& g) {
  if (!g.actor.empty()) return g.actor;
  // With credentials the daemon knows who calls: an empty actor is the
  // caller's principal.
  if (!g.security.token_file.empty() || !g.security.cert.empty()) return "";
  if (const char* user = std::getenv("USER"); user != nullptr && *user) {
    return user;
  }
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    return pw->pw_name;
  }
  return "uid:" + std::to_string(::getuid());
}

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

std::string StatusText(const grpc::Status& s) {
  std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()));
  if (code.empty()) code = "CODE_" + std::to_string(s.error_code());
  std::string message = OneLine(s.error_message());
  if (message.empty()) message = "(no message)";
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message += " (" + std::string(gatekeeper::clients::kUnavailableHint) + ")";
  }
  return code + ": " + message;
}

Watchdog::Watchdog(grpc::ClientContext* ctx, std::chrono::milliseconds timeout)
    : ctx_(ctx), timeout_(timeout), last_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      const auto due = last_ + timeout_;
      if (std::chrono::steady_clock::now() >= due) {
        fired_ = true;
        ctx_->TryCancel();
        return;
      }
      cv_.wait_until(lock, due);
    }
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::Kick() {
  std::lock_guard lock(mu_);
  last_ = std::chrono::steady_clock::now();
}

bool Watchdog::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

std::string Watchdog::Describe(std::chrono::milliseconds timeout) {
  const double seconds = static_cast<double>(timeout.count()) / 1000;
  char text[64];
  std::snprintf(text, sizeof text, "%g", seconds);
  return std::string("no answer from the daemon within ") + text +
         " s (--timeout)";
}

void HandleInterrupts() {
  const sigset_t set = InterruptSignals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int signo = 0;
      if (::sigwait(&set, &signo) != 0) continue;
      if (interrupted.exchange(true)) ::_exit(kExitError);
      std::lock_guard lock(interrupt_mu);
      if (interrupt_ctx != nullptr) interrupt_ctx->TryCancel();
    }
  }).detach();
}

bool Interrupted() { return interrupted.load(); }

void ThrowIfInterrupted() {
  if (Interrupted()) {
    throw Error("interrupted (nothing written; run the same command again)");
  }
}

CancelOnInterrupt::CancelOnInterrupt(grpc::ClientContext* ctx) {
  std::lock_guard lock(interrupt_mu);
  interrupt_ctx = ctx;
  if (interrupted.load()) ctx->TryCancel();
}

CancelOnInterrupt::~CancelOnInterrupt() {
  std::lock_guard lock(interrupt_mu);
  interrupt_ctx = nullptr;
}

}  // namespace printgate

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
  return grpc::CreateCustomChannel(g.target, grpc::InsecureChannelCredentials(),
                                   args);
}

std::string Actor(const Globals& g) {
  if (!g.actor.empty()) return g.actor;
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
  return code + ": " + message;
}

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
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

Progress::Progress(std::string label, uint64_t total)
    : enabled_(::isatty(STDERR_FILENO) == 1),
      label_(std::move(label)),
      total_(total) {}

Progress::~Progress() {
  if (drawn_) std::cerr << "\n" << std::flush;
}

void Progress::Update(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void Progress::Finish() {
  if (!enabled_) return;
  Draw();
  std::cerr << "\n" << std::flush;
  drawn_ = false;
}

void Progress::Break() {
  if (!drawn_) return;
  std::cerr << "\n" << std::flush;
  drawn_ = false;
}

void Progress::Draw() {
  std::string line = "\r" + label_ + " ";
  if (total_ > 0) {
    constexpr int kWidth = 30;
    const uint64_t shown = std::min(done_, total_);
    const int filled = static_cast<int>(shown * kWidth / total_);
    line += "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(kWidth - filled), '-') + "] ";
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3d%%",
                  static_cast<int>(shown * 100 / total_));
    line += pct;
    line += " " + Thousands(done_) + "/" + Thousands(total_);
  } else {
    line += Thousands(done_);
  }
  line += " documents";
  std::cerr << line << std::flush;
  drawn_ = true;
}

}  // namespace printgate

#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace gatekeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is there; false at EOF or on error (then closes `fd`).
bool Drain(int& fd, std::string& into) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  CloseFd(fd);
  return false;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, ChildOptions options)
    : argv_(std::move(argv)), options_(std::move(options)) {}

ChildProcess::~ChildProcess() {
  CloseFd(in_);
  CloseFd(out_fd_);
  CloseFd(err_fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  CloseFd(pidfd_);
}

bool ChildProcess::Start() {
  // Writing to a child that exited must fail with EPIPE, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  // The environment, built before fork (no allocation in the child).
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [k, v] : options_.env) {
    if (v.has_value()) {
      env[k] = *v;
    } else {
      env.erase(k);
    }
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : argv_) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // die with the test
    ::signal(SIGPIPE, SIG_DFL);          // ignored dispositions survive exec
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    error_ = std::string("pidfd_open: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool ChildProcess::Write(std::string_view data) {
  while (!data.empty() && in_ >= 0) {
    const ssize_t n = ::write(in_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return data.empty();
}

void ChildProcess::CloseStdin() { CloseFd(in_); }

template <typename Pred>
bool ChildProcess::Pump(Clock::time_point deadline, Pred until) {
  while (!until()) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (n == 0) return until();
    const int r = ::poll(fds, n, MillisLeft(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return until();
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_fd_) {
        Drain(out_fd_, out_);
      } else {
        Drain(err_fd_, err_);
      }
    }
  }
  return true;
}

std::optional<std::string> ChildProcess::ReadLine(
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Stop once a whole line is there, or stdout ended.
  Pump(deadline,
       [&] { return out_.find('\n') != std::string::npos || out_fd_ < 0; });
  const size_t nl = out_.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = out_.substr(0, nl);
  out_.erase(0, nl + 1);
  return line;
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  CloseStdin();
  Pump(deadline, [&] { return out_fd_ < 0 && err_fd_ < 0; });
  if (pid_ <= 0) return std::nullopt;
  // The pipes may close before the process ends, or stay open in its own
  // children: wait for the process itself.
  pollfd p{pidfd_, POLLIN, 0};
  int status = 0;
  if (::poll(&p, 1, MillisLeft(deadline)) <= 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return std::nullopt;
  }
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return std::nullopt;
}

ChildResult RunChild(const std::vector<std::string>& argv, ChildOptions options,
                     std::string_view stdin_data,
                     std::chrono::milliseconds timeout) {
  ChildProcess child(argv, std::move(options));
  ChildResult r;
  if (!child.Start()) {
    r.err = child.error();
    return r;
  }
  child.Write(stdin_data);
  r.exit_code = child.Wait(timeout).value_or(-1);
  r.out = child.out();
  r.err = child.err();
  return r;
}

}  // namespace gatekeeper::testing

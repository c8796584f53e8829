#include "tests/testing/daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "tests/testing/test_config.h"

namespace gatekeeper::testing {
namespace {
std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // reaping poll
  }
}

}  // namespace

std::string DaemonProcess::BinaryPath() { return GATEKEEPERD_PATH; }

DaemonProcess::DaemonProcess(std::filesystem::path data_dir,
                             DaemonOptions options)
    : data_dir_(std::move(data_dir)), options_(std::move(options)) {}

DaemonProcess::~DaemonProcess() { Kill(); }

bool DaemonProcess::Start() {
  {
    std::ofstream cfg(config_path());
    cfg << kTestConfigYaml << "data_dir: \"" << data_dir_.string() << "\"\n"
        << options_.extra_yaml;
    // Tests run at any hour: calls are allowed all day unless the test sets
    // its own hours.
    if (options_.extra_yaml.find("calling_hours:") == std::string::npos) {
      cfg << "calling_hours: {start: \"00:00\", end: \"24:00\"}\n";
    }
  }
  int out[2];
  if (::pipe(out) != 0) {
    error_ = "pipe failed";
    return false;
  }
  const std::string err_path =
      (data_dir_.parent_path() / "stderr.log").string();
  const std::string cfg = config_path().string();
  const std::string bin = BinaryPath();
  // The child's environment, built before fork: between fork and exec the
  // child makes only async-signal-safe calls.
  std::vector<std::string> env = options_.env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view var(*e);
    const std::string_view name = var.substr(0, var.find('='));
    bool overridden = false;
    for (const auto& o : options_.env) {
      overridden |= std::string_view(o).substr(0, o.find('=')) == name;
    }
    if (!overridden) env.emplace_back(var);
  }
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    // Die with the test process, even when it crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], 1);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(err, 2);
    ::close(out[0]);
    if (options_.file_size_limit > 0) {
      ::signal(SIGXFSZ, SIG_IGN);  // survives exec: writes fail with EFBIG
      struct rlimit rl {};
      rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(options_.file_size_limit);
      ::setrlimit(RLIMIT_FSIZE, &rl);
    }
    const char* argv[] = {bin.c_str(), "--config", cfg.c_str(), nullptr};
    ::execve(bin.c_str(), const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // Read the first line, bounded by a deadline.
  std::string line;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 ||
        ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    char buf[256];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  const std::string marker = "listening on ";
  const size_t at = line.find(marker);
  if (at == std::string::npos) {
    error_ = "daemon did not start; stdout: " + line + " stderr: " + Stderr();
    Kill();
    return false;
  }
  startup_output_ = line;
  address_ = line.substr(at + marker.size());
  address_ = address_.substr(0, address_.find('\n'));
  return true;
}

std::optional<int> DaemonProcess::Stop(int signo,
                                       std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, signo);
  auto r = WaitFor(pid_, timeout);
  if (r.has_value()) pid_ = -1;
  return r;
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::shared_ptr<grpc::Channel> DaemonProcess::Channel() const {
  return grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
}

std::string DaemonProcess::Stderr() const {
  return ReadFile(data_dir_.parent_path() / "stderr.log");
}

RunResult RunGatekeeperd(const std::vector<std::string>& args) {
  char out_tmpl[] = "/tmp/gkrun-out.XXXXXX";
  char err_tmpl[] = "/tmp/gkrun-err.XXXXXX";
  const int out = ::mkstemp(out_tmpl);
  const int err = ::mkstemp(err_tmpl);
  const std::string bin = DaemonProcess::BinaryPath();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  RunResult r;
  auto code = WaitFor(pid, std::chrono::seconds(30));
  r.exit_code = code.value_or(-1);
  ::close(out);
  ::close(err);
  r.out = ReadFile(out_tmpl);
  r.err = ReadFile(err_tmpl);
  ::unlink(out_tmpl);
  ::unlink(err_tmpl);
  return r;
}

}  // namespace gatekeeper::testing

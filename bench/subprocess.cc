#include "bench/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "daemon/common/strings.h"

namespace gatekeeper::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string DescribeWait(int status) {
  if (WIFEXITED(status)) return StrCat("exited ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return StrCat("killed by signal ", WTERMSIG(status));
  return "stopped";
}

// Waits for `pid` up to `deadline`; true with *status when it exited.
bool WaitUntil(pid_t pid, Clock::time_point deadline, int* status) {
  while (true) {
    const pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) {
      *status = 0;
      return true;  // not our child any more; nothing to wait for
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

absl::StatusOr<Subprocess> Subprocess::Start(
    const std::vector<std::string>& argv, const std::string& stderr_path,
    std::chrono::seconds timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  if (::access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        StrCat(argv[0], ": not executable: ", std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls (gkbench may already run threads).
  std::vector<char*> cargv;
  for (const std::string& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int err_fd = -1;
  if (!stderr_path.empty()) {
    err_fd = ::open(stderr_path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (err_fd < 0) {
      return absl::UnavailableError(
          StrCat("cannot open ", stderr_path, ": ", std::strerror(errno)));
    }
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    if (err_fd >= 0) ::close(err_fd);
    return absl::UnavailableError(StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (err_fd >= 0) ::close(err_fd);
    return absl::UnavailableError(StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (err_fd >= 0) ::close(err_fd);
  Subprocess child(pid, fds[0]);

  // Lines up to the listening line, read byte by byte so nothing after it
  // is consumed; those before it are kept (gatekeeperd names its HTTP side
  // first).
  const Clock::time_point deadline = Clock::now() + timeout;
  constexpr std::string_view kMarker = "listening on ";
  std::string line;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) {
      child.Stop(std::chrono::seconds(5));
      return absl::DeadlineExceededError(
          StrCat(argv[0], " printed no address within ", timeout.count(),
                 " s (got \"", line, "\")"));
    }
    pollfd p{child.out_fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char c;
    const ssize_t r = ::read(child.out_fd_, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const std::string how = child.Stop(std::chrono::seconds(5));
      return absl::UnavailableError(
          StrCat(argv[0], " ", how, " before printing its address"));
    }
    if (c == '\n') {
      if (line.find(kMarker) != std::string::npos) break;
      if (child.preamble_.size() >= 16) {
        child.Stop(std::chrono::seconds(5));
        return absl::UnavailableError(StrCat(
            argv[0], ": no listening line in its first 16 lines (last \"", line,
            "\")"));
      }
      child.preamble_.push_back(std::move(line));
      line.clear();
      continue;
    }
    line.push_back(c);
    if (line.size() > 4096) {
      child.Stop(std::chrono::seconds(5));
      return absl::UnavailableError(StrCat(argv[0], ": first line too long"));
    }
  }
  const size_t at = line.find(kMarker);
  child.address_ = line.substr(at + kMarker.size());
  return child;
}

Subprocess::Subprocess(Subprocess&& o) noexcept
    : pid_(o.pid_),
      out_fd_(o.out_fd_),
      address_(std::move(o.address_)),
      preamble_(std::move(o.preamble_)),
      exit_(std::move(o.exit_)) {
  o.pid_ = -1;
  o.out_fd_ = -1;
}

Subprocess::~Subprocess() { Stop(); }

std::string Subprocess::Stop(std::chrono::seconds timeout) {
  if (pid_ > 0) {
    int status = 0;
    ::kill(pid_, SIGTERM);
    if (!WaitUntil(pid_, Clock::now() + timeout, &status)) {
      ::kill(pid_, SIGKILL);
      WaitUntil(pid_, Clock::now() + std::chrono::seconds(10), &status);
      exit_ = StrCat("did not stop within ", timeout.count(),
                     " s of SIGTERM; killed");
    } else {
      exit_ = DescribeWait(status);
    }
    pid_ = -1;
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
  return exit_;
}

namespace {

// utime+stime of a /proc/.../stat file in seconds; sets *name to the comm.
double StatCpuSeconds(const std::string& path, std::string* name) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at ") ".
  const size_t open = all.find('(');
  const size_t close = all.rfind(')');
  if (open == std::string::npos || close == std::string::npos ||
      close + 2 > all.size()) {
    return 0;
  }
  if (name != nullptr) *name = all.substr(open + 1, close - open - 1);
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  // rest starts with field 3 (state); utime is field 14, stime 15.
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

double Subprocess::CpuSeconds() const {
  if (pid_ <= 0) return 0;
  return StatCpuSeconds(StrCat("/proc/", pid_, "/stat"), nullptr);
}

std::vector<Subprocess::ThreadCpu> Subprocess::ThreadsCpu() const {
  std::vector<ThreadCpu> out;
  if (pid_ <= 0) return out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(
           StrCat("/proc/", pid_, "/task"), ec)) {
    ThreadCpu t;
    t.tid = std::atoi(e.path().filename().c_str());
    t.seconds = StatCpuSeconds((e.path() / "stat").string(), &t.name);
    if (t.tid == pid_) t.name = "main";
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<Completed> RunToCompletion(
    const std::vector<std::string>& argv, const std::string& stdout_path,
    const std::string& stderr_path,
    const std::function<void(pid_t, double)>& sample,
    const std::atomic<bool>* interrupted) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  if (::access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        StrCat(argv[0], ": not executable: ", std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls (the caller may run threads).
  std::vector<char*> cargv;
  for (const std::string& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = ::open(stdout_path.c_str(),
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = ::open(stderr_path.c_str(),
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const auto close_all = [&] {
    for (int fd : {in_fd, out_fd, err_fd}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
    const std::string why = std::strerror(errno);
    close_all();
    return absl::UnavailableError(
        StrCat("cannot open ", stdout_path, " or ", stderr_path, ": ", why));
  }
  const pid_t parent = ::getpid();
  const Clock::time_point t0 = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    close_all();
    return absl::UnavailableError(StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  close_all();
  bool terminated = false;
  while (true) {
    // Exited? (WNOWAIT: not reaped yet, so the pid stays this child's while
    // `sample` reads its /proc files.)
    siginfo_t info{};
    const int r = ::waitid(P_PID, static_cast<id_t>(pid), &info,
                           WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (sample) {
      sample(pid, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    if (interrupted != nullptr && interrupted->load() && !terminated) {
      ::kill(pid, SIGTERM);
      terminated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int status = 0;
  rusage ru{};
  pid_t reaped;
  do {
    reaped = ::wait4(pid, &status, 0, &ru);
  } while (reaped < 0 && errno == EINTR);
  Completed out;
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (reaped != pid) {
    return absl::InternalError(StrCat("wait4: ", std::strerror(errno)));
  }
  out.exit = DescribeWait(status);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  out.user_seconds = static_cast<double>(ru.ru_utime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
  out.system_seconds = static_cast<double>(ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
  out.max_rss_kib = static_cast<uint64_t>(ru.ru_maxrss);
  return out;
}

uint64_t ProcStatusKib(pid_t pid, const std::string& field) {
  std::ifstream in(StrCat("/proc/", pid, "/status"));
  std::string line;
  const std::string prefix = field + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      return std::strtoull(line.c_str() + prefix.size(), nullptr, 10);
    }
  }
  return 0;
}

uint64_t ProcReadChars(pid_t pid) {
  std::ifstream in(StrCat("/proc/", pid, "/io"));
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

SystemCpu SystemCpuSeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  // user nice system idle iowait irq softirq steal
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  SystemCpu out;
  out.busy = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6]) / tick;
  out.steal = static_cast<double>(v[7]) / tick;
  return out;
}

std::string TailOfFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string all((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = all.substr(all.size() - max_bytes);
  return all;
}

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace gatekeeper::bench

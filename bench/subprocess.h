// Child processes of gkbench and gkprintbench. Servers (the daemon, the echo
// and reference servers): started with fork/exec, stdout on a pipe whose first
// line names the listening address, stopped with SIGTERM; every wait is
// bounded. Clients (print-gate): run to completion with their resource usage.
// Not thread-safe; one owner.
#ifndef GATEKEEPER_BENCH_SUBPROCESS_H_
#define GATEKEEPER_BENCH_SUBPROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gatekeeper::bench {

class Subprocess {
 public:
  // Starts argv[0] with argv; stderr goes to `stderr_path` (appended), or is
  // inherited when empty. Waits up to `timeout` for a stdout line containing
  // "listening on HOST:PORT" (among its first 16) and returns with address()
  // set and the lines before it in preamble().
  // The child gets SIGTERM if gkbench dies (PR_SET_PDEATHSIG).
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::string& stderr_path,
                                          std::chrono::seconds timeout);

  Subprocess(Subprocess&& o) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;
  ~Subprocess();  // Stop() if still running.

  const std::string& address() const { return address_; }
  const std::vector<std::string>& preamble() const { return preamble_; }
  pid_t pid() const { return pid_; }

  // SIGTERM, then waits up to `timeout` (SIGKILL after). Returns the exit
  // status as "exited 0", "killed by signal 9", ...; idempotent.
  std::string Stop(std::chrono::seconds timeout = std::chrono::seconds(30));

  // User+system CPU seconds the child has used so far (from /proc).
  double CpuSeconds() const;

  // The same per thread: its id, name (comm; "main" for the first thread)
  // and CPU seconds.
  struct ThreadCpu {
    int tid = 0;
    std::string name;
    double seconds = 0;
  };
  std::vector<ThreadCpu> ThreadsCpu() const;

 private:
  Subprocess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string address_;
  std::vector<std::string> preamble_;
  std::string exit_;
};

// A child run to completion.
struct Completed {
  std::string exit;    // "exited 0", "killed by signal 9", ...
  int exit_code = -1;  // -1 unless it exited
  double seconds = 0;  // from fork to exit
  double user_seconds = 0, system_seconds = 0;
  uint64_t max_rss_kib = 0;  // its peak resident size (ru_maxrss)
};

// Runs argv[0] with argv, stdout and stderr to the files named (truncated),
// and waits for it to exit. While it runs, `sample(pid, seconds since the
// fork)` is called every 10 ms on this thread (may be empty; the pid is not
// reaped before the last call). When `*interrupted` turns true the child gets
// SIGTERM. The child gets SIGTERM if the caller dies (PR_SET_PDEATHSIG).
absl::StatusOr<Completed> RunToCompletion(
    const std::vector<std::string>& argv, const std::string& stdout_path,
    const std::string& stderr_path,
    const std::function<void(pid_t, double)>& sample,
    const std::atomic<bool>* interrupted);

// A "Name:   123 kB" field of /proc/PID/status in KiB (VmRSS, VmHWM), or 0.
uint64_t ProcStatusKib(pid_t pid, const std::string& field);

// Bytes the process has read through read(2) and the like so far (rchar of
// /proc/PID/io), or 0 when unreadable.
uint64_t ProcReadChars(pid_t pid);

// CPU seconds of the whole machine so far, from /proc/stat: busy (user,
// system, irq; not idle, iowait or steal) and stolen by the hypervisor.
struct SystemCpu {
  double busy = 0;
  double steal = 0;
};
SystemCpu SystemCpuSeconds();

// The last `max_bytes` of a file, for error reports; empty if unreadable.
std::string TailOfFile(const std::string& path, size_t max_bytes = 2000);

// Absolute path of the running executable.
std::string SelfExe();

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_SUBPROCESS_H_

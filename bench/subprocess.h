// Child processes of gkbench (the daemon and the echo server): started with
// fork/exec, stdout on a pipe whose first line names the listening address,
// stopped with SIGTERM. Every wait is bounded. Not thread-safe; one owner.
#ifndef GATEKEEPER_BENCH_SUBPROCESS_H_
#define GATEKEEPER_BENCH_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gatekeeper::bench {

class Subprocess {
 public:
  // Starts argv[0] with argv; stderr goes to `stderr_path` (appended), or is
  // inherited when empty. Waits up to `timeout` for a first stdout line
  // containing "listening on HOST:PORT" and returns with address() set.
  // The child gets SIGTERM if gkbench dies (PR_SET_PDEATHSIG).
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::string& stderr_path,
                                          std::chrono::seconds timeout);

  Subprocess(Subprocess&& o) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;
  ~Subprocess();  // Stop() if still running.

  const std::string& address() const { return address_; }
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
  std::string exit_;
};

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

// Runs the real gatekeeperd binary for integration tests: writes a config with
// `listen: 127.0.0.1:0` and a data_dir in a temp dir, starts the process, and
// learns its port from the first stdout line ("gatekeeperd: listening on
// ADDR"). No sleeps: readiness is that line.
#ifndef GATEKEEPER_TESTS_TESTING_DAEMON_PROCESS_H_
#define GATEKEEPER_TESTS_TESTING_DAEMON_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatekeeper::testing {

struct DaemonOptions {
  // 0 = unlimited; else RLIMIT_FSIZE in bytes (writes beyond fail with EFBIG:
  // a full disk under the daemon).
  long file_size_limit = 0;
  // Appended to the config. Unless it sets calling_hours, the daemon allows
  // calls all day (00:00-24:00), so that tests pass at any hour.
  std::string extra_yaml;
  // "NAME=value" entries added to (or replacing in) the daemon's environment,
  // e.g. NOTIFY_SOCKET.
  std::vector<std::string> env;
};

class DaemonProcess {
 public:
  // Path of the binary under test (set by CMake).
  static std::string BinaryPath();

  DaemonProcess(std::filesystem::path data_dir, DaemonOptions options = {});
  ~DaemonProcess();  // SIGKILLs a daemon still running

  // Starts and waits (up to 30 s) for the listening line. Returns false and
  // fills error() when the daemon exits or says nothing.
  bool Start();
  // Sends `signo` and waits up to `timeout`; returns the exit status
  // (WEXITSTATUS) or nullopt if it did not exit in time or died by signal.
  std::optional<int> Stop(
      int signo = SIGTERM,
      std::chrono::milliseconds timeout = std::chrono::seconds(15));
  void Kill();  // SIGKILL, wait

  const std::string& address() const { return address_; }
  // What it printed on stdout up to its listening line.
  const std::string& startup_output() const { return startup_output_; }
  std::shared_ptr<grpc::Channel> Channel() const;
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path config_path() const {
    return data_dir_.parent_path() / "gk.yaml";
  }
  std::string Stderr() const;  // everything it wrote to stderr so far
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }

 private:
  std::filesystem::path data_dir_;
  DaemonOptions options_;
  pid_t pid_ = -1;
  std::string address_;
  std::string startup_output_;
  std::string error_;
};

// Runs `gatekeeperd args...`; returns the exit status and stderr.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunGatekeeperd(const std::vector<std::string>& args);

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_DAEMON_PROCESS_H_

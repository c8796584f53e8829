// Runs a program as a child process with pipes on its stdin, stdout and
// stderr, for tests of command-line tools: run to completion (RunChild), or
// drive a conversation line by line (ChildProcess, e.g. an AGI peer). Every
// wait has a deadline and waits on the descriptors (poll, pidfd), never by
// sleeping. Starting a child makes this process ignore SIGPIPE (a write to
// a child that exited fails instead). One ChildProcess is driven by one
// thread.
#ifndef GATEKEEPER_TESTS_TESTING_CHILD_PROCESS_H_
#define GATEKEEPER_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatekeeper::testing {

struct ChildOptions {
  // Environment changes: a value sets, nullopt removes. The rest is
  // inherited.
  std::map<std::string, std::optional<std::string>> env;
};

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, ChildOptions options = {});
  ~ChildProcess();  // SIGKILLs a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Forks and execs; false (and error()) when that failed.
  bool Start();
  // Writes everything to the child's stdin; false when the pipe is closed.
  bool Write(std::string_view data);
  void CloseStdin();
  // The next line of stdout without its newline, or nullopt on EOF or when
  // `timeout` passed first (stderr is collected meanwhile).
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Closes stdin, reads stdout and stderr to their end, and reaps the child.
  // Returns the exit status (WEXITSTATUS), or nullopt if it did not end
  // within `timeout` (then it is killed) or died by a signal.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }
  // What the child wrote that ReadLine did not return.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  const std::string& error() const { return error_; }

 private:
  // Polls stdout and stderr until `until` returns true, both are at EOF or
  // the deadline passes. Returns whether `until` became true.
  template <typename Pred>
  bool Pump(std::chrono::steady_clock::time_point deadline, Pred until);

  std::vector<std::string> argv_;
  ChildOptions options_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_, error_;
};

struct ChildResult {
  int exit_code = -1;  // -1: killed, crashed or timed out
  std::string out;
  std::string err;
};

// Runs `argv` with `stdin_data` on its stdin and waits up to `timeout`.
ChildResult RunChild(
    const std::vector<std::string>& argv, ChildOptions options = {},
    std::string_view stdin_data = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_CHILD_PROCESS_H_

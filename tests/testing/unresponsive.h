// Peers that do not answer, for the failing-closed tests of the clients: a
// loopback port that refuses connections, and a process stopped (SIGSTOP) so
// that it accepts connections but answers nothing.
#ifndef GATEKEEPER_TESTS_TESTING_UNRESPONSIVE_H_
#define GATEKEEPER_TESTS_TESTING_UNRESPONSIVE_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace gatekeeper::testing {

// A loopback port with a socket bound to it but not listening: connecting is
// refused, and nothing else can take the port while this object lives.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "cannot bind a loopback port";
    }
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

// Stops a process (SIGSTOP) until destroyed or Resume()d: a daemon that
// accepts connections but answers nothing.
class Stopped {
 public:
  // Returns once the process is stopped: SIGSTOP is delivered
  // asynchronously, and a process that still runs for a moment would answer
  // the next call (seen on a loaded CI machine).
  explicit Stopped(pid_t pid) : pid_(pid) {
    EXPECT_EQ(::kill(pid_, SIGSTOP), 0);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!IsStopped(pid_)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "process " << pid_ << " did not stop";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~Stopped() { Resume(); }
  Stopped(const Stopped&) = delete;
  Stopped& operator=(const Stopped&) = delete;
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  // The state field of /proc/PID/stat (after the parenthesised command name)
  // is 'T' for a process stopped by a signal.
  static bool IsStopped(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() &&
           stat[close + 2] == 'T';
  }

  pid_t pid_;
};

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_UNRESPONSIVE_H_

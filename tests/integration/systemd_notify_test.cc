// gatekeeperd under a Type=notify unit (deploy/gatekeeperd.service): the real
// daemon with NOTIFY_SOCKET set to a datagram socket of the test's own, as
// systemd sets it, must send READY=1 once it listens and STOPPING=1 when a
// SIGTERM starts its shutdown.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

using namespace std::chrono_literals;
using testing::DaemonOptions;
using testing::DaemonProcess;
using testing::TempDir;

// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
// SO_PASSCRED has the kernel attach the sender's pid to every datagram, which
// is what systemd checks (NotifyAccess=main).
class NotifySocket {
 public:
  struct Message {
    std::string text;
    pid_t pid = 0;
  };

  explicit NotifySocket(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string p = path.string();
    if (fd_ < 0 || p.size() >= sizeof addr.sun_path) return;
    p.copy(addr.sun_path, p.size());
    const int on = 1;
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) !=
        0) {
      return;
    }
    ok_ = ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool ok() const { return ok_; }

  // The next datagram, or nullopt when none comes within `timeout`.
  std::optional<Message> Receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      return std::nullopt;
    }
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) return std::nullopt;
    Message m;
    m.text.assign(buf, static_cast<size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
         c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred{};
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        m.pid = cred.pid;
      }
    }
    return m;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

TEST(SystemdNotifyTest, ReadyOnceListeningAndStoppingOnSigterm) {
  TempDir dir;
  const auto socket_path = dir.path() / "notify";
  NotifySocket notify(socket_path);
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  DaemonOptions options;
  options.env = {"NOTIFY_SOCKET=" + socket_path.string()};
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  const pid_t pid = daemon.pid();

  // Start() returned on the listening line; READY=1 comes after it, from the
  // daemon's own process, and then the daemon answers.
  auto ready = notify.Receive(10s);
  ASSERT_TRUE(ready.has_value()) << "no READY=1; stderr: " << daemon.Stderr();
  EXPECT_EQ(ready->text, "READY=1");
  EXPECT_EQ(ready->pid, pid);
  {
    auto audit = v1::AuditService::NewStub(daemon.Channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::VerifyAuditResponse verified;
    const grpc::Status status =
        audit->VerifyAudit(&ctx, v1::VerifyAuditRequest(), &verified);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_FALSE(notify.Receive(0ms).has_value()) << "more than one message";

  ASSERT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Stderr();
  auto stopping = notify.Receive(5s);
  ASSERT_TRUE(stopping.has_value())
      << "no STOPPING=1; stderr: " << daemon.Stderr();
  EXPECT_EQ(stopping->text, "STOPPING=1");
  EXPECT_EQ(stopping->pid, pid);
  EXPECT_FALSE(notify.Receive(0ms).has_value()) << "more than two messages";
  EXPECT_EQ(daemon.Stderr().find("sd_notify"), std::string::npos)
      << daemon.Stderr();
}

// A notify socket that is gone (systemd restarted, a stale environment) is
// reported on stderr and does not stop the daemon from serving or exiting
// cleanly.
TEST(SystemdNotifyTest, UnreachableNotifySocketIsReportedNotFatal) {
  TempDir dir;
  DaemonOptions options;
  options.env = {"NOTIFY_SOCKET=" + (dir.path() / "missing").string()};
  DaemonProcess daemon(dir.path() / "var", options);
  ASSERT_TRUE(daemon.Start()) << daemon.error();
  ASSERT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Stderr();
  const std::string err = daemon.Stderr();
  EXPECT_NE(err.find("sd_notify(READY=1)"), std::string::npos) << err;
  EXPECT_NE(err.find("sd_notify(STOPPING=1)"), std::string::npos) << err;
}

}  // namespace
}  // namespace gatekeeper

#include "bench/echo_server.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bench/echo.grpc.pb.h"
#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper::bench {
namespace {

// The answer every server gives: response_size bytes of payload.
void FillAnswer(const EchoMessage& req, EchoMessage* resp) {
  // Bounded: a uint32 could ask for 4 GiB.
  const size_t n = std::min<size_t>(req.response_size(), 1 << 20);
  resp->mutable_payload()->assign(n, 'e');
}

class EchoImpl final : public Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const EchoMessage* req,
                                 EchoMessage* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    FillAnswer(*req, resp);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// The durable echo's log, group-committed with the design of the daemon's
// store (daemon/store/sqlite_store.h) and nothing but the write and the sync:
// - A call's handler fills in its answer, then queues (reactor, request). The
//   caller thread that finds no commit in progress becomes the leader: it
//   takes everything queued (at most kMaxGroup calls, the max_batch gkbench
//   gives the daemon), serializes the requests into one buffer (each behind
//   its 4-byte length), writes it with one pwrite, fdatasyncs, then calls
//   Finish on every reactor of the group itself, on its own thread. It loops
//   while more is queued; calls arriving during a commit queue for the next
//   group. Under load the leader is a gRPC thread, as in the daemon, so the
//   answers leave without waking another thread.
// - The file is preallocated (kLogBytes) and written through with zeros once
//   at startup, then fsynced; groups go at increasing offsets and wrap around
//   to offset 0 when the next one would not fit. So each fdatasync writes data
//   only: no file size to update, and no unwritten extent to convert
//   (posix_fallocate alone leaves unwritten extents on ext4 and xfs, and the
//   first write into one makes fdatasync commit the journal). That is the
//   cheapest honest durable write, like SQLite's WAL file rewritten from its
//   start after a checkpoint.
// - After a failed write or fdatasync the kernel may have dropped the pages:
//   that group and every later call are answered UNAVAILABLE, never OK.
class GroupLog {
 public:
  static constexpr off_t kLogBytes = 64 << 20;
  static constexpr size_t kMaxGroup = 512;

  // Creates (or truncates) and preallocates the file; nullptr after printing
  // why on stderr.
  static std::unique_ptr<GroupLog> Open(const std::string& path) {
    const int fd =
        ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::cerr << "gkbench-durable-echo: cannot open " << path << ": "
                << std::strerror(errno) << "\n";
      return nullptr;
    }
    auto log = std::unique_ptr<GroupLog>(new GroupLog(path, fd));
    if (const int err = ::posix_fallocate(fd, 0, kLogBytes); err != 0) {
      std::cerr << "gkbench-durable-echo: posix_fallocate " << path << ": "
                << std::strerror(err) << "\n";
      return nullptr;
    }
    const std::string zeros(1 << 20, '\0');
    for (off_t at = 0; at < kLogBytes; at += static_cast<off_t>(zeros.size())) {
      if (!log->WriteAll(zeros.data(), zeros.size(), at)) {
        std::cerr << "gkbench-durable-echo: writing " << path << ": "
                  << std::strerror(errno) << "\n";
        return nullptr;
      }
    }
    if (::fsync(fd) != 0) {
      std::cerr << "gkbench-durable-echo: fsync " << path << ": "
                << std::strerror(errno) << "\n";
      return nullptr;
    }
    // The file's name too, like a database file created once.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(),
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      (void)::fsync(dir_fd);
      ::close(dir_fd);
    }
    return log;
  }

  GroupLog(const GroupLog&) = delete;
  GroupLog& operator=(const GroupLog&) = delete;
  // Only once no call can be queued (the server is gone).
  ~GroupLog() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  // Queues the call; it is finished with OK once an fdatasync covers `req`,
  // by the leader of its group, possibly this thread before it returns. `req`
  // and the answer must stay valid until then (gRPC keeps them until Finish).
  void Append(grpc::ServerUnaryReactor* reactor, const EchoMessage* req) {
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back({reactor, req});
    if (committing_) return;  // the leader's next group takes it
    committing_ = true;
    while (!queue_.empty()) {
      const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(
                                            std::min(queue_.size(), kMaxGroup));
      group_.assign(queue_.begin(), end);
      queue_.erase(queue_.begin(), end);
      lock.unlock();
      const grpc::Status s = Commit();
      for (const Pending& p : group_) p.reactor->Finish(s);
      lock.lock();
    }
    committing_ = false;
  }

  // False once a write or fdatasync failed.
  bool ok() {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_.ok();
  }

 private:
  struct Pending {
    grpc::ServerUnaryReactor* reactor;
    const EchoMessage* req;
  };

  GroupLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  bool WriteAll(const char* p, size_t n, off_t at) {
    while (n > 0) {
      const ssize_t w = ::pwrite(fd_, p, n, at);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = EIO;
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
      at += w;
    }
    return true;
  }

  // The leader's work for group_: one write, one fdatasync. Only the leader
  // touches group_, buf_, offset_ and (under mu_ for ok()) failed_.
  grpc::Status Commit() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!failed_.ok()) return failed_;
    }
    buf_.clear();
    for (const Pending& p : group_) {
      const size_t n = p.req->ByteSizeLong();
      const uint32_t len = static_cast<uint32_t>(n);
      const size_t at = buf_.size();
      buf_.resize(at + sizeof(len) + n);
      std::memcpy(buf_.data() + at, &len, sizeof(len));
      p.req->SerializeToArray(buf_.data() + at + sizeof(len),
                              static_cast<int>(n));
    }
    const off_t size = static_cast<off_t>(buf_.size());
    if (size > kLogBytes) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "group larger than the durable echo's log");
    }
    if (offset_ + size > kLogBytes) offset_ = 0;  // wrap around
    const char* what = nullptr;
    if (!WriteAll(buf_.data(), buf_.size(), offset_)) {
      what = "pwrite";
    } else if (::fdatasync(fd_) != 0) {
      what = "fdatasync";
    }
    if (what != nullptr) {
      const int err = errno;
      const std::string why = std::string("durable echo: ") + what + " " +
                              path_ + ": " + std::strerror(err);
      std::cerr << "gkbench-durable-echo: " << why
                << "; refusing every call from now on\n";
      std::lock_guard<std::mutex> lock(mu_);
      failed_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, why);
      return failed_;
    }
    offset_ += size;
    return grpc::Status::OK;
  }

  const std::string path_;
  const int fd_;
  std::mutex mu_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool committing_ = false;    // guarded by mu_: a leader is at work
  grpc::Status failed_;        // guarded by mu_; sticky
  // The leader's.
  std::vector<Pending> group_;
  std::string buf_;
  off_t offset_ = 0;
};

class DurableEchoImpl final : public Echo::CallbackService {
 public:
  explicit DurableEchoImpl(GroupLog* log) : log_(log) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const EchoMessage* req,
                                 EchoMessage* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    FillAnswer(*req, resp);
    log_->Append(reactor, req);
    return reactor;
  }

 private:
  GroupLog* const log_;
};

// The store echo's audit payload for call `n`: a JSON object {"x":"..."} of
// exactly `bytes` bytes (at least 8, the empty string's; at most 1 MiB), the
// counter's hex digits at the start of the string so that entries differ.
std::string LogPayload(uint32_t bytes, uint64_t n) {
  constexpr size_t kFrame = 8;  // {"x":""}
  const size_t len =
      std::clamp<size_t>(bytes, kFrame, static_cast<size_t>(1) << 20);
  std::string s = "{\"x\":\"";
  s.append(len - kFrame, 'a');
  s += "\"}";
  for (size_t i = 0; i < len - kFrame && i < 16; ++i, n >>= 4) {
    s[6 + i] = "0123456789abcdef"[n & 15];
  }
  return s;
}

// The store echo: each call appends one decision to the daemon's store, as a
// decision does (Gates::DecideInsert / DecideDial in daemon/server/gates.cc):
// AppendDecisionAsync with an audit entry (kind, actor, customer id, payload
// of log_bytes bytes) and a fresh decision id, no provision, read against the
// current state version with no keys (nothing was read, so nothing can
// conflict). The store group-commits it (the caller that finds no commit in
// progress leads, on its gRPC thread) and runs `done` once it is durable; only
// then is the answer filled in and the call finished: OK, or UNAVAILABLE with
// the store's error. No state is read, no policy runs, no payload is built
// from a decision.
class StoreEchoImpl final : public Echo::CallbackService {
 public:
  explicit StoreEchoImpl(Store* store) : store_(store) {}
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const EchoMessage* req,
                                 EchoMessage* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    const uint64_t n = calls_.fetch_add(1, std::memory_order_relaxed);
    // Of a decision's sizes: "C-" and 10 digits, "agent:" and an agent id.
    char customer[24], actor[24];
    std::snprintf(customer, sizeof(customer), "C-%010" PRIu64,
                  n % uint64_t{10'000'000'000});
    std::snprintf(actor, sizeof(actor), "agent:agent-%02" PRIu64, n % 100);
    store_->AppendDecisionAsync(
        DecisionWrite{AuditDraft{"decision.echo", actor, customer,
                                 LogPayload(req->log_bytes(), n)},
                      NewId("dec_"), std::nullopt},
        DecisionInputs{store_->StateVersion(), {}},
        [reactor, req, resp](absl::StatusOr<uint64_t> seq) {
          if (!seq.ok()) {
            reactor->Finish(
                grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             StrCat("store echo: ", seq.status().message())));
            return;
          }
          FillAnswer(*req, resp);
          reactor->Finish(grpc::Status::OK);
        });
    return reactor;
  }

 private:
  Store* const store_;
  std::atomic<uint64_t> calls_{0};
};

// Removes a SQLite database and its WAL and shared-memory files.
void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    std::filesystem::remove(path + suffix, ec);
  }
}

}  // namespace

sigset_t BlockStopSignals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return stop;
}

int Serve(grpc::Service* service, const char* name, const sigset_t& stop) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << name << ": cannot listen on 127.0.0.1:0\n";
    return 1;
  }
  std::cout << name << ": listening on 127.0.0.1:" << port << "\n"
            << std::flush;
  int signo = 0;
  sigwait(&stop, &signo);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}

int ServeEcho() {
  const sigset_t stop = BlockStopSignals();
  EchoImpl service;
  return Serve(&service, "gkbench-echo", stop);
}

int ServeDurableEcho(const std::string& dir) {
  const sigset_t stop = BlockStopSignals();
  std::unique_ptr<GroupLog> log = GroupLog::Open(
      (std::filesystem::path(dir) / "gkbench-durable-echo.log").string());
  if (log == nullptr) return 1;
  int rc = 0;
  {
    DurableEchoImpl service(log.get());
    rc = Serve(&service, "gkbench-durable-echo", stop);
  }
  // Exit 1 when some call was refused because the disk failed.
  return rc != 0 || !log->ok() ? 1 : rc;
}

int ServeStoreEcho(const std::string& dir) {
  const sigset_t stop = BlockStopSignals();
  const std::string path =
      (std::filesystem::path(dir) / "gkbench-store-echo.db").string();
  RemoveDatabase(path);  // a fresh store every run
  // The daemon's options (daemon/server/daemon.cc): the path, the max_batch
  // of gkbench's daemon config, the rest default.
  SqliteStoreOptions so;
  so.path = path;
  so.max_batch = 512;
  std::atomic<bool> refused{false};
  so.on_refusing_writes = [&refused](const absl::Status& s) {
    std::cerr << "gkbench-store-echo: the store refuses writes: " << s.message()
              << "\n";
    refused.store(true);
  };
  auto store = SqliteStore::Open(so);
  if (!store.ok()) {
    std::cerr << "gkbench-store-echo: cannot open " << path << ": "
              << store.status().message() << "\n";
    RemoveDatabase(path);
    return 1;
  }
  int rc = 0;
  {
    StoreEchoImpl service(store->get());
    rc = Serve(&service, "gkbench-store-echo", stop);
  }
  (*store)->Close();
  store->reset();
  RemoveDatabase(path);
  // Exit 1 when the store refused writes (some calls were refused).
  return rc != 0 || refused.load() ? 1 : rc;
}

}  // namespace gatekeeper::bench

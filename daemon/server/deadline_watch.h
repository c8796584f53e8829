// limits.default_deadline_ms: a call that carries no deadline of its own is
// cancelled (grpc::ServerContext::TryCancel; the client sees CANCELLED) when
// it is still running this long after it was admitted, so that a client that
// opens a stream and goes silent, or never reads, cannot hold a handler and
// one of its principal's streams for ever. Calls with a deadline are left to
// it. One thread sleeps until the next call is due. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_DEADLINE_WATCH_H_
#define GATEKEEPER_DAEMON_SERVER_DEADLINE_WATCH_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace gatekeeper {

class DeadlineWatch {
 public:
  // `expired` is told of each call cancelled (the method's full name), on the
  // watch's thread.
  explicit DeadlineWatch(std::function<void(const std::string&)> expired);
  ~DeadlineWatch();
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;

  // Whether the client set a deadline.
  static bool HasDeadline(const grpc::ServerContextBase& ctx);

  // Null when `ctx` carries a deadline or `ms` is 0. Else the call is watched
  // until the returned guard is released, which the handler must do before
  // `ctx` goes (it holds the guard for the call's life).
  std::shared_ptr<void> Watch(const grpc::ServerContextBase& ctx,
                              std::string_view method, uint32_t ms);

 private:
  // A watched call; `ctx` is cleared when the guard is released.
  struct Call {
    std::recursive_mutex mu;
    const grpc::ServerContextBase* ctx;
    std::string method;
  };
  using Key = std::pair<std::chrono::steady_clock::time_point, uint64_t>;

  void Loop();

  const std::function<void(const std::string&)> expired_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, std::shared_ptr<Call>> due_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_DEADLINE_WATCH_H_

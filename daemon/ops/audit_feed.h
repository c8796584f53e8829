// The durable head of the audit log, for those who follow it (the event log,
// WatchAudit, metrics): the store publishes each new head after its commit;
// followers wait for one beyond what they have and read the entries from the
// store. Publishing is an atomic store and a notify: it never waits on a
// follower. Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_AUDIT_FEED_H_
#define GATEKEEPER_DAEMON_OPS_AUDIT_FEED_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace gatekeeper {

class AuditFeed {
 public:
  explicit AuditFeed(uint64_t head = 0) : head_(head) {}

  void Publish(uint64_t head) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (head <= head_.load()) return;
      head_.store(head);
    }
    cv_.notify_all();
  }

  uint64_t Head() const { return head_.load(); }

  // Waits until the head is beyond `seq`, `timeout` passes or the feed is
  // closed; returns the head.
  uint64_t WaitBeyond(uint64_t seq, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || head_.load() > seq; });
    return head_.load();
  }

  // Wakes every waiter for good (the daemon is stopping).
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::atomic<uint64_t> head_;
  bool closed_ = false;  // guarded by mu_
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_AUDIT_FEED_H_

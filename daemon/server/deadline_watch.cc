#include "daemon/server/deadline_watch.h"

#include <grpc/support/time.h>

namespace gatekeeper {

DeadlineWatch::DeadlineWatch(std::function<void(const std::string&)> expired)
    : expired_(std::move(expired)), thread_([this] { Loop(); }) {}

DeadlineWatch::~DeadlineWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool DeadlineWatch::HasDeadline(const grpc::ServerContextBase& ctx) {
  // gpr_inf_future: the client set no deadline.
  return ctx.raw_deadline().tv_sec != gpr_inf_future(GPR_CLOCK_REALTIME).tv_sec;
}

std::shared_ptr<void> DeadlineWatch::Watch(const grpc::ServerContextBase& ctx,
                                           std::string_view method,
                                           uint32_t ms) {
  if (ms == 0 || HasDeadline(ctx)) return nullptr;
  auto call = std::make_shared<Call>();
  call->ctx = &ctx;
  call->method = std::string(method);
  Key key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    key = {std::chrono::steady_clock::now() + std::chrono::milliseconds(ms),
           next_id_++};
    const bool first = due_.empty() || key < due_.begin()->first;
    due_.emplace(key, call);
    if (first) cv_.notify_one();
  }
  return std::shared_ptr<void>(nullptr, [this, key, call](void*) {
    {
      std::lock_guard<std::recursive_mutex> released(call->mu);
      call->ctx = nullptr;
    }
    std::lock_guard<std::mutex> lock(mu_);
    due_.erase(key);
  });
}

void DeadlineWatch::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto at = due_.begin()->first.first;
    if (std::chrono::steady_clock::now() < at) {
      cv_.wait_until(lock, at);
      continue;
    }
    std::shared_ptr<Call> call = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    lock.unlock();
    // Without mu_: cancelling may end the call on this thread, whose guard
    // then takes mu_ (and call->mu again, hence recursive).
    bool cancelled = false;
    {
      std::lock_guard<std::recursive_mutex> held(call->mu);
      if (call->ctx != nullptr) {
        call->ctx->TryCancel();
        cancelled = true;
      }
    }
    if (cancelled) expired_(call->method);
    lock.lock();
  }
}

}  // namespace gatekeeper

#include "daemon/server/rpc_metrics.h"

namespace gatekeeper {
namespace {

class RpcMetrics final : public grpc::experimental::Interceptor {
 public:
  explicit RpcMetrics(Metrics::RpcCounter& counter) : counter_(counter) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      counter_.Count(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  Metrics::RpcCounter& counter_;
};

}  // namespace

Metrics::RpcCounter& RpcMetricsFactory::CounterOf(const char* method) {
  if (method == nullptr) method = "unknown";
  const int n = cached_.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    if (names_[i].load(std::memory_order_relaxed) == method) {
      return *counters_[i].load(std::memory_order_relaxed);
    }
  }
  Metrics::RpcCounter& counter = metrics_.RpcMethod(method);
  std::lock_guard<std::mutex> lock(mu_);
  const int m = cached_.load(std::memory_order_relaxed);
  if (m < kCached) {
    // Another thread may have cached the same pointer meanwhile: a second
    // slot for it is harmless (both point at the one counter).
    names_[m].store(method, std::memory_order_relaxed);
    counters_[m].store(&counter, std::memory_order_relaxed);
    cached_.store(m + 1, std::memory_order_release);
  }
  return counter;
}

grpc::experimental::Interceptor* RpcMetricsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  for (const std::string& m : self_counted_) {
    if (method != nullptr && m == method) return nullptr;  // not intercepted
  }
  return new RpcMetrics(CounterOf(method));
}

}  // namespace gatekeeper

// A gRPC server interceptor that counts every finished call by method and
// status code (gatekeeper_rpc_requests_total). A method's counter is found
// once per method name pointer (gRPC passes the registered method's, stable
// for the server's life) and cached here, so a call counts with one relaxed
// atomic add and takes no lock. The methods named at construction are not
// intercepted at all: they count themselves (CheckInsert and CheckDial,
// whose cost gkcountbench measures; gRPC's interception hooks on every batch
// of a call cost more than the count).
#ifndef GATEKEEPER_DAEMON_SERVER_RPC_METRICS_H_
#define GATEKEEPER_DAEMON_SERVER_RPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/ops/metrics.h"

namespace gatekeeper {

class RpcMetricsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcMetricsFactory(Metrics& metrics, std::vector<std::string> self_counted)
      : metrics_(metrics), self_counted_(std::move(self_counted)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics::RpcCounter& CounterOf(const char* method);

  static constexpr int kCached = 64;  // more methods: looked up each call
  Metrics& metrics_;
  const std::vector<std::string> self_counted_;
  std::mutex mu_;  // serializes additions to the cache
  std::atomic<int> cached_{0};
  std::atomic<const char*> names_[kCached] = {};
  std::atomic<Metrics::RpcCounter*> counters_[kCached] = {};
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_RPC_METRICS_H_

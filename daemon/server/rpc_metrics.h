// A gRPC server interceptor that counts every finished call by method and
// status code (gatekeeper_rpc_requests_total).
#ifndef GATEKEEPER_DAEMON_SERVER_RPC_METRICS_H_
#define GATEKEEPER_DAEMON_SERVER_RPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include "daemon/ops/metrics.h"

namespace gatekeeper {

class RpcMetricsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsFactory(Metrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics& metrics_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_RPC_METRICS_H_

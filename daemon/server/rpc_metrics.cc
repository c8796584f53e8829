#include "daemon/server/rpc_metrics.h"

namespace gatekeeper {
namespace {

class RpcMetrics final : public grpc::experimental::Interceptor {
 public:
  RpcMetrics(Metrics& metrics, const char* method)
      : metrics_(metrics), method_(method != nullptr ? method : "unknown") {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_.CountRpc(method_, methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  Metrics& metrics_;
  const char* method_;
};

}  // namespace

grpc::experimental::Interceptor* RpcMetricsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcMetrics(metrics_, info->method());
}

}  // namespace gatekeeper

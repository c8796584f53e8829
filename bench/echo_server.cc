#include "bench/echo_server.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "bench/echo.grpc.pb.h"

namespace gatekeeper::bench {
namespace {

class EchoImpl final : public Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const EchoMessage* req,
                                 EchoMessage* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    // Bounded: a uint32 could ask for 4 GiB.
    const size_t n = std::min<size_t>(req->response_size(), 1 << 20);
    resp->mutable_payload()->assign(n, 'e');
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int ServeEcho() {
  // Block the stop signals before gRPC starts threads, so that only sigwait
  // below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  EchoImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "gkbench-echo: cannot listen on 127.0.0.1:0\n";
    return 1;
  }
  std::cout << "gkbench-echo: listening on 127.0.0.1:" << port << "\n"
            << std::flush;
  int signo = 0;
  sigwait(&stop, &signo);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}

}  // namespace gatekeeper::bench

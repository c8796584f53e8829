// Reactors of the callback API that only finish their call with an error:
// what a streaming handler returns for a call refused before it starts
// (Access::Check).
#ifndef GATEKEEPER_DAEMON_SERVER_REFUSED_H_
#define GATEKEEPER_DAEMON_SERVER_REFUSED_H_

#include <grpcpp/grpcpp.h>

namespace gatekeeper {

template <class Request, class Response>
class RefusedBidi final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit RefusedBidi(const grpc::Status& s) { this->Finish(s); }
  void OnDone() override { delete this; }
};

template <class Request>
class RefusedRead final : public grpc::ServerReadReactor<Request> {
 public:
  explicit RefusedRead(const grpc::Status& s) { this->Finish(s); }
  void OnDone() override { delete this; }
};

template <class Response>
class RefusedWrite final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusedWrite(const grpc::Status& s) { this->Finish(s); }
  void OnDone() override { delete this; }
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_REFUSED_H_

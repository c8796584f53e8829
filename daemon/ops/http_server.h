// The daemon's small HTTP side, beside gRPC (Boost.Beast on its own Asio
// thread): GET /metrics (Prometheus text format 0.0.4), /healthz (the
// process is up), /readyz (the store is open and serving: 200, else 503,
// as gRPC health says SERVING or NOT_SERVING), / (the dashboard page) and
// /api/dashboard (the page's data, JSON).
// Anything else is 404; methods other than GET and HEAD are 405. Requests
// are small and answered in turn; idle connections close after 30 s.
#ifndef GATEKEEPER_DAEMON_OPS_HTTP_SERVER_H_
#define GATEKEEPER_DAEMON_OPS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace gatekeeper {

struct HttpHandlers {
  std::function<std::string()> metrics;
  // Ready to serve decisions; `why` says why not.
  std::function<bool(std::string* why)> ready;
  // Optional: a line /readyz adds after "ready" (a warning that stands while
  // the daemon serves, such as running without authentication).
  std::function<std::string()> ready_note;
  // The page served at / (HTML).
  std::function<std::string()> dashboard;
  // The page's data at /api/dashboard (JSON).
  std::function<std::string()> dashboard_data;
};

class HttpServer {
 public:
  // Listens on "host:port" (an IP address or localhost; port 0 picks one).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen, HttpHandlers handlers);
  ~HttpServer();
  void Stop();
  // The bound address, with the port chosen.
  const std::string& address() const { return address_; }

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_HTTP_SERVER_H_

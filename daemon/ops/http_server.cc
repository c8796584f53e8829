#include "daemon/ops/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "daemon/common/strings.h"

namespace gatekeeper {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One connection: requests answered in turn until it closes or idles.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandlers& handlers)
      : stream_(std::move(socket)), handlers_(handlers) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(8 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Answer(self->parser_->release());
                     });
  }

 private:
  void Answer(http::request<http::string_body> req) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req.version());
    res->keep_alive(req.keep_alive());
    res->set(http::field::server, "gatekeeperd");
    res->set(http::field::cache_control, "no-store");
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res->result(http::status::method_not_allowed);
      res->set(http::field::allow, "GET, HEAD");
      Text(*res, "only GET and HEAD\n");
    } else if (path == "/metrics") {
      res->result(http::status::ok);
      res->set(http::field::content_type,
               "text/plain; version=0.0.4; charset=utf-8");
      res->body() = handlers_.metrics();
    } else if (path == "/healthz") {
      res->result(http::status::ok);
      Text(*res, "ok\n");
    } else if (path == "/readyz") {
      std::string why;
      const bool ready = handlers_.ready(&why);
      res->result(ready ? http::status::ok : http::status::service_unavailable);
      std::string body = ready ? "ready\n" : "not ready: " + why + "\n";
      if (handlers_.ready_note) {
        if (std::string note = handlers_.ready_note(); !note.empty()) {
          body += note + "\n";
        }
      }
      Text(*res, std::move(body));
    } else if (path == "/" && handlers_.dashboard) {
      res->result(http::status::ok);
      res->set(http::field::content_type, "text/html; charset=utf-8");
      res->body() = handlers_.dashboard();
    } else if (path == "/api/dashboard" && handlers_.dashboard_data) {
      res->result(http::status::ok);
      res->set(http::field::content_type, "application/json");
      res->body() = handlers_.dashboard_data();
    } else {
      res->result(http::status::not_found);
      Text(*res,
           "not found: try /metrics, /healthz, /readyz, / or "
           "/api/dashboard\n");
    }
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](beast::error_code ec, size_t) {
          if (ec || !res->keep_alive()) return self->Close();
          self->Read();
        });
  }

  static void Text(http::response<http::string_body>& res, std::string body) {
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(body);
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandlers& handlers_;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpHandlers h) : handlers(std::move(h)), acceptor(io) {}
  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::make_shared<Session>(std::move(socket), handlers)->Read();
      }
      Accept();
    });
  }

  HttpHandlers handlers;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::thread thread;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen, HttpHandlers handlers) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("http.listen: expected host:port, got \"", listen, "\""));
  }
  std::string host = listen.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
  }
  if (ec || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        StrCat("http.listen: expected an IP address and a port, got \"", listen,
               "\""));
  }
  auto impl = std::make_unique<Impl>(std::move(handlers));
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("http.listen: cannot listen on ", listen, ": ", ec.message()));
  }
  const tcp::endpoint bound = impl->acceptor.local_endpoint();
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  auto server = std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
  const std::string shown = bound.address().is_v6()
                                ? "[" + bound.address().to_string() + "]"
                                : bound.address().to_string();
  server->address_ = StrCat(shown, ":", bound.port());
  return server;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace gatekeeper

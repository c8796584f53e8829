// The fixture of the HTTP side's tests: the real gatekeeperd with
// `http: {listen: 127.0.0.1:0}`, its HTTP address read from the startup line,
// and a plain HTTP/1.1 client (Boost.Beast) for one request at a time.
#ifndef GATEKEEPER_TESTS_TESTING_HTTP_FIXTURE_H_
#define GATEKEEPER_TESTS_TESTING_HTTP_FIXTURE_H_

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

#include "tests/testing/daemon_fixture.h"

namespace gatekeeper::testing {

struct HttpReply {
  int status = 0;
  std::string content_type, cache_control, body;
};

class HttpDaemonTest : public DaemonTest {
 protected:
  using Verb = boost::beast::http::verb;

  void SetUp() override { StartHttpDaemon(); }

  // Starts the daemon with `o` and the HTTP side on a free port.
  void StartHttpDaemon(DaemonOptions o = {}) {
    o.extra_yaml += "http:\n  listen: \"127.0.0.1:0\"\n";
    StartDaemon(o);
    if (::testing::Test::HasFatalFailure()) return;
    const std::string& out = daemon_->startup_output();
    const std::string marker = "gatekeeperd: http on ";
    const size_t at = out.find(marker);
    ASSERT_NE(at, std::string::npos) << out;
    http_ = out.substr(at + marker.size());
    http_ = http_.substr(0, http_.find_first_of(" \n"));
  }

  HttpReply Get(const std::string& target, Verb verb = Verb::get) const {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    const size_t colon = http_.rfind(':');
    stream.connect(
        resolver.resolve(http_.substr(0, colon), http_.substr(colon + 1)));
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, http_);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 << 20);
    parser.skip(verb == Verb::head);  // a HEAD answer has no body
    http::read(stream, buffer, parser);
    const auto& res = parser.get();
    return {static_cast<int>(res.result_int()),
            std::string(res[http::field::content_type]),
            std::string(res[http::field::cache_control]), res.body()};
  }

  // "127.0.0.1:PORT"
  std::string http_;
};

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_HTTP_FIXTURE_H_

#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "shared/http/http_client.hpp"
#include "shared/http/http_server.hpp"
#include "shared/http/router.hpp"
#include "tests/unit/support/run_until.hpp"

namespace winebot::test {

// Small limits, so that tests reach them with a few bytes and a short wait.
inline shared::HttpServerLimits small_server_limits() {
  using namespace std::chrono_literals;
  shared::HttpServerLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 64;
  limits.request_timeout = 300ms;
  limits.idle_timeout = 300ms;
  return limits;
}

// A server on 127.0.0.1 and a port the kernel picked, with three routes: `GET /hello` returns
// {"hello": "world"}, `POST /echo` returns {"bytes": N} for an N-byte body, and `GET /throws`
// throws a non-standard exception. The io_context is declared first so that it is destroyed
// last, after every socket that uses it.
struct ServerFixture {
  explicit ServerFixture(shared::HttpServerLimits limits = {}) : server(io, router, limits) {
    router.add("GET", "/hello", [](const shared::HttpRequest&) {
      return shared::HttpResponse::json(200, {{"hello", "world"}});
    });
    router.add("POST", "/echo", [](const shared::HttpRequest& request) {
      return shared::HttpResponse::json(200, {{"bytes", request.body.size()}});
    });
    router.add("GET", "/throws",
               [](const shared::HttpRequest&) -> shared::HttpResponse { throw 42; });
    port = server.listen({"127.0.0.1", 0});
  }

  boost::asio::io_context io;
  shared::Router router;
  shared::HttpServer server;
  std::uint16_t port = 0;
};

// Runs `task` on `io` until it finishes and returns its result. Fails the test when that takes
// longer than kPatience, and rethrows what the task threw.
template <typename T>
T complete(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr failure;
  bool finished = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr error, T value) {
    failure = error;
    result = std::move(value);
    finished = true;
  });
  REQUIRE(run_until(io, [&] { return finished; }));
  if (failure) {
    std::rethrow_exception(failure);
  }
  return std::move(*result);
}

// What a hand-written client received: every byte until the connection ended, the deadline
// passed or an error occurred, and the error that ended the read.
struct RawReply {
  std::string bytes;
  boost::system::error_code error;

  bool closed_by_server() const {
    return error == boost::asio::error::eof || error == boost::asio::error::connection_reset;
  }
  // The status code of the first response, or 0 when none arrived.
  int status() const {
    return bytes.rfind("HTTP/1.", 0) == 0 && bytes.size() >= 12 ? std::stoi(bytes.substr(9, 3)) : 0;
  }
  // Everything after the first blank line, which is the body when one response arrived.
  std::string body() const {
    const auto end_of_headers = bytes.find("\r\n\r\n");
    return end_of_headers == std::string::npos ? "" : bytes.substr(end_of_headers + 4);
  }
};

// Connects to 127.0.0.1:`port`, sends `request` as raw bytes and reads until the connection ends
// or `deadline` passes. Tests use it for bytes that the HTTP client would never send.
inline boost::asio::awaitable<RawReply> send_raw(std::uint16_t port, std::string request,
                                                 std::chrono::milliseconds deadline = kPatience) {
  namespace asio = boost::asio;
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

  boost::beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(deadline);
  RawReply reply;
  const asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  auto [connect_error] = co_await stream.async_connect(endpoint, kUseTuple);
  if (connect_error) {
    reply.error = connect_error;
    co_return reply;
  }

  if (!request.empty()) {
    // A server that rejects a request early may close before reading all of it, so a failed
    // write is not final: the response may already be waiting.
    co_await asio::async_write(stream, asio::buffer(request), kUseTuple);
  }
  char chunk[4096];
  while (true) {
    auto [read_error, count] = co_await stream.async_read_some(asio::buffer(chunk), kUseTuple);
    reply.bytes.append(chunk, count);
    if (read_error) {
      reply.error = read_error;
      co_return reply;
    }
  }
}

// The `detail` field of a JSON error body.
inline std::string detail_of(const std::string& body) {
  return nlohmann::json::parse(body).at("detail").get<std::string>();
}

// Sends one request to 127.0.0.1:`port` through `connection` and waits for the result.
inline shared::HttpClientResult send_request(boost::asio::io_context& io,
                                             shared::HttpConnection& connection, std::uint16_t port,
                                             std::string method, std::string target,
                                             std::string body = {}) {
  return complete(io, connection.request("127.0.0.1", port, std::move(method), std::move(target),
                                         std::move(body)));
}

}  // namespace winebot::test

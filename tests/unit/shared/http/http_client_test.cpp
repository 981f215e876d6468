#include "shared/http/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/unit/support/http_test_support.hpp"
#include "tests/unit/support/run_until.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using winebot::shared::HttpClientLimits;
using winebot::shared::HttpConnection;
using winebot::test::complete;
using winebot::test::kPatience;
using winebot::test::run_until;
using winebot::test::send_request;
using winebot::test::ServerFixture;
using winebot::test::small_server_limits;
using namespace std::chrono_literals;

// A port on 127.0.0.1 that nothing listens on: bound with a port the kernel picked, then closed.
std::uint16_t closed_port(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

// A server that responds to the first request on its first connection, then reads the second
// request, waits `stall` and closes without a response. It accepts a second connection and never
// responds on it. The client sees a stale keep-alive connection, retries, and gets no response.
asio::awaitable<void> answer_once_then_stall(tcp::acceptor& acceptor,
                                             std::chrono::milliseconds stall) {
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
  auto [accept_error, first] = co_await acceptor.async_accept(kUseTuple);
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  co_await http::async_read(first, buffer, request, kUseTuple);
  http::response<http::string_body> response{http::status::ok, 11};
  response.keep_alive(true);
  response.prepare_payload();
  co_await http::async_write(first, response, kUseTuple);

  http::request<http::string_body> second_request;
  co_await http::async_read(first, buffer, second_request, kUseTuple);
  asio::steady_timer timer(acceptor.get_executor(), stall);
  co_await timer.async_wait(kUseTuple);
  first.close();

  auto [second_error, second] = co_await acceptor.async_accept(kUseTuple);
  timer.expires_after(kPatience);
  co_await timer.async_wait(kUseTuple);
}

}  // namespace

TEST_CASE("HttpConnection reuses a keep-alive connection", "[http]") {
  ServerFixture fixture;
  HttpConnection connection(fixture.io.get_executor());

  const auto first = send_request(fixture.io, connection, fixture.port, "GET", "/hello");
  const auto second = send_request(fixture.io, connection, fixture.port, "POST", "/echo", "{}");

  REQUIRE(first.status == 200);
  REQUIRE(second.status == 200);
  REQUIRE(nlohmann::json::parse(second.body)["bytes"] == 2);
  REQUIRE(fixture.server.accepted_count() == 1);
  REQUIRE(fixture.server.connection_count() == 1);
}

TEST_CASE("HttpConnection reconnects after the server closed", "[http]") {
  ServerFixture fixture(small_server_limits());
  HttpConnection connection(fixture.io.get_executor());

  REQUIRE(send_request(fixture.io, connection, fixture.port, "GET", "/hello").status == 200);
  REQUIRE(run_until(fixture.io, [&] { return fixture.server.connection_count() == 0; }));

  // The idle timeout closed the first connection, so the client must notice and open another.
  REQUIRE(send_request(fixture.io, connection, fixture.port, "GET", "/hello").status == 200);
  REQUIRE(fixture.server.accepted_count() == 2);
}

TEST_CASE("HttpConnection reports connection refused", "[http]") {
  asio::io_context io;
  const std::uint16_t port = closed_port(io);
  HttpConnection connection(io.get_executor());

  const auto result = send_request(io, connection, port, "GET", "/hello");

  REQUIRE_FALSE(result.ok);
  REQUIRE(result.status == 0);
  REQUIRE_THAT(result.error, Catch::Contains("connection refused", Catch::CaseSensitive::No));
}

TEST_CASE("HttpConnection times out on a silent server", "[http]") {
  asio::io_context io;
  // The kernel completes the handshake into the backlog, but no code accepts the connection or
  // reads the request.
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  HttpClientLimits limits;
  limits.timeout = 200ms;
  HttpConnection connection(io.get_executor(), limits);

  const auto result = send_request(io, connection, silent.local_endpoint().port(), "GET", "/hello");

  REQUIRE_FALSE(result.ok);
  REQUIRE(result.error == "timed out");
  REQUIRE(result.elapsed_ms >= 200);
  REQUIRE(result.elapsed_ms < 2000);
}

TEST_CASE("HttpConnection rejects a non-IP address", "[http]") {
  asio::io_context io;
  HttpConnection connection(io.get_executor());

  const auto result = complete(io, connection.request("not-an-address", 80, "GET", "/"));

  REQUIRE_FALSE(result.ok);
  REQUIRE_FALSE(result.error.empty());
}

TEST_CASE("HttpConnection bounds a retried request by one timeout", "[http]") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  asio::co_spawn(io, answer_once_then_stall(acceptor, 300ms), asio::detached);
  HttpClientLimits limits;
  limits.timeout = 400ms;
  HttpConnection connection(io.get_executor(), limits);
  const auto port = acceptor.local_endpoint().port();
  REQUIRE(send_request(io, connection, port, "GET", "/first").status == 200);

  const auto result = send_request(io, connection, port, "GET", "/second");

  REQUIRE_FALSE(result.ok);
  REQUIRE(result.error == "timed out");
  // The stall and the retry together would take about 700 ms if each step had its own timeout.
  REQUIRE(result.elapsed_ms < 600);
}

namespace {

// Answers the first request on the first connection, then reads a second request and closes
// without answering, then counts any further connection attempt in `later_connections`.
asio::awaitable<void> answer_once_then_drop(tcp::acceptor& acceptor, int& later_connections) {
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
  auto [accept_error, first] = co_await acceptor.async_accept(kUseTuple);
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  co_await http::async_read(first, buffer, request, kUseTuple);
  http::response<http::string_body> response{http::status::ok, 11};
  response.keep_alive(true);
  response.prepare_payload();
  co_await http::async_write(first, response, kUseTuple);

  http::request<http::string_body> second_request;
  co_await http::async_read(first, buffer, second_request, kUseTuple);
  first.close();

  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (error) {
      co_return;
    }
    ++later_connections;
  }
}

}  // namespace

TEST_CASE("HttpConnection does not retry a POST", "[http]") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto port = acceptor.local_endpoint().port();
  int later_connections = 0;
  asio::co_spawn(io, answer_once_then_drop(acceptor, later_connections), asio::detached);
  HttpConnection connection(io.get_executor());

  REQUIRE(send_request(io, connection, port, "GET", "/first").status == 200);
  const auto second = send_request(io, connection, port, "POST", "/action", "{}");
  io.run_for(200ms);

  REQUIRE_FALSE(second.ok);
  REQUIRE(later_connections == 0);
}

TEST_CASE("HttpConnection sends Host with brackets and port", "[http]") {
  ServerFixture fixture;
  fixture.router.add("GET", "/host", [](const winebot::shared::HttpRequest& request) {
    return winebot::shared::HttpResponse::json(200,
                                               {{"host", request.header("host").value_or("")}});
  });
  HttpConnection ipv4(fixture.io.get_executor());

  const auto result = send_request(fixture.io, ipv4, fixture.port, "GET", "/host");

  REQUIRE(result.status == 200);
  REQUIRE(nlohmann::json::parse(result.body)["host"] ==
          "127.0.0.1:" + std::to_string(fixture.port));
}

#include "shared/http/http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "shared/http/http_client.hpp"
#include "shared/http/router.hpp"
#include "tests/unit/support/http_test_support.hpp"
#include "tests/unit/support/run_until.hpp"

namespace {

namespace asio = boost::asio;
using winebot::shared::HttpConnection;
using winebot::shared::HttpServer;
using winebot::shared::Router;
using winebot::test::complete;
using winebot::test::detail_of;
using winebot::test::RawReply;
using winebot::test::run_until;
using winebot::test::send_raw;
using winebot::test::send_request;
using winebot::test::ServerFixture;
using winebot::test::small_server_limits;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("HttpServer returns 200 JSON to the client", "[http]") {
  ServerFixture fixture;
  HttpConnection connection(fixture.io.get_executor());

  const auto result = send_request(fixture.io, connection, fixture.port, "GET", "/hello");

  REQUIRE(result.ok);
  REQUIRE(result.error.empty());
  REQUIRE(result.status == 200);
  REQUIRE(nlohmann::json::parse(result.body) == nlohmann::json{{"hello", "world"}});
}

TEST_CASE("HttpServer returns 413 JSON for an oversized body", "[http]") {
  ServerFixture fixture(small_server_limits());
  HttpConnection connection(fixture.io.get_executor());

  const auto result =
      send_request(fixture.io, connection, fixture.port, "POST", "/echo", std::string(1000, 'x'));

  REQUIRE(result.ok);
  REQUIRE(result.status == 413);
  REQUIRE_THAT(detail_of(result.body), Catch::Contains("64 bytes"));
}

TEST_CASE("HttpServer returns 413 for an oversized chunked body", "[http]") {
  ServerFixture fixture(small_server_limits());
  const std::string chunk = "30\r\n" + std::string(48, 'x') + "\r\n";

  const auto reply = complete(fixture.io, send_raw(fixture.port,
                                                   "POST /echo HTTP/1.1\r\nHost: test\r\n"
                                                   "Transfer-Encoding: chunked\r\n\r\n" +
                                                       chunk + chunk + "0\r\n\r\n"));

  REQUIRE(reply.status() == 413);
  REQUIRE(reply.closed_by_server());
}

TEST_CASE("HttpServer accepts a body at the limit", "[http]") {
  ServerFixture fixture(small_server_limits());
  HttpConnection connection(fixture.io.get_executor());

  const auto result =
      send_request(fixture.io, connection, fixture.port, "POST", "/echo", std::string(64, 'x'));

  REQUIRE(result.status == 200);
  REQUIRE(nlohmann::json::parse(result.body)["bytes"] == 64);
}

TEST_CASE("HttpServer returns 431 for oversized headers", "[http]") {
  ServerFixture fixture(small_server_limits());
  const std::string request =
      "GET /hello HTTP/1.1\r\nHost: test\r\nX-Padding: " + std::string(1000, 'p') + "\r\n\r\n";

  const auto reply = complete(fixture.io, send_raw(fixture.port, request));

  REQUIRE(reply.status() == 431);
  REQUIRE_THAT(detail_of(reply.body()), Catch::Contains("512 bytes"));
  REQUIRE(reply.closed_by_server());
}

TEST_CASE("HttpServer returns 400 JSON for a malformed request line", "[http]") {
  ServerFixture fixture(small_server_limits());

  const auto reply = complete(fixture.io, send_raw(fixture.port, "NOT A REQUEST\r\n\r\n"));

  REQUIRE(reply.status() == 400);
  REQUIRE_THAT(detail_of(reply.body()), Catch::Contains("malformed HTTP request"));
  REQUIRE(reply.closed_by_server());
}

TEST_CASE("HttpServer returns 400 for a bad target escape", "[http]") {
  ServerFixture fixture(small_server_limits());

  const auto reply = complete(
      fixture.io, send_raw(fixture.port, "GET /hel%zzlo HTTP/1.1\r\nConnection: close\r\n\r\n"));

  REQUIRE(reply.status() == 400);
  REQUIRE_THAT(detail_of(reply.body()), Catch::Contains("percent-encoding"));
}

TEST_CASE("HttpServer closes a silent client after idle_timeout", "[http]") {
  ServerFixture fixture(small_server_limits());
  const auto started = std::chrono::steady_clock::now();

  const auto reply = complete(fixture.io, send_raw(fixture.port, ""));

  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE(reply.closed_by_server());
  REQUIRE(reply.bytes.empty());
  REQUIRE(waited >= 250ms);
  REQUIRE(run_until(fixture.io, [&] { return fixture.server.connection_count() == 0; }));
}

TEST_CASE("HttpServer closes a request cut off mid-header", "[http]") {
  ServerFixture fixture(small_server_limits());

  const auto reply = complete(fixture.io, send_raw(fixture.port, "GET /hello HTTP/1.1\r\nHo"));

  // The request deadline closes the socket, so no 408 can be written and the client only sees
  // the connection end.
  REQUIRE(reply.closed_by_server());
  REQUIRE(run_until(fixture.io, [&] { return fixture.server.connection_count() == 0; }));
}

TEST_CASE("HttpServer serves HTTP/1.0 and closes", "[http]") {
  ServerFixture fixture;

  const auto reply = complete(fixture.io, send_raw(fixture.port, "GET /hello HTTP/1.0\r\n\r\n"));

  REQUIRE(reply.status() == 200);
  REQUIRE(nlohmann::json::parse(reply.body()) == nlohmann::json{{"hello", "world"}});
  REQUIRE(reply.closed_by_server());
}

TEST_CASE("HttpServer answers HEAD with GET's headers and no body", "[http]") {
  ServerFixture fixture;
  const std::string get_body = nlohmann::json{{"hello", "world"}}.dump();

  const auto reply = complete(
      fixture.io, send_raw(fixture.port, "HEAD /hello HTTP/1.1\r\nConnection: close\r\n\r\n"));

  REQUIRE(reply.status() == 200);
  CHECK(reply.body().empty());
  CHECK_THAT(reply.bytes, Catch::Contains("Content-Length: " + std::to_string(get_body.size())));
}

TEST_CASE("HttpServer serves pipelined requests in order", "[http]") {
  ServerFixture fixture;
  const std::string requests =
      "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";

  const auto reply = complete(fixture.io, send_raw(fixture.port, requests));

  const auto second = reply.bytes.find("HTTP/1.1", 1);
  REQUIRE(reply.status() == 200);
  REQUIRE(second != std::string::npos);
  REQUIRE_THAT(reply.bytes.substr(second), Catch::Contains("{\"bytes\":3}"));
  REQUIRE(reply.closed_by_server());
}

TEST_CASE("HttpServer keeps the connection after a handler throws", "[http]") {
  ServerFixture fixture;
  HttpConnection connection(fixture.io.get_executor());

  const auto failed = send_request(fixture.io, connection, fixture.port, "GET", "/throws");
  const auto next = send_request(fixture.io, connection, fixture.port, "GET", "/hello");

  REQUIRE(failed.status == 500);
  REQUIRE(detail_of(failed.body) == "Internal Server Error");
  REQUIRE(next.status == 200);
  REQUIRE(fixture.server.accepted_count() == 1);
}

TEST_CASE("HttpServer stop closes open connections", "[http]") {
  ServerFixture fixture;
  std::optional<RawReply> reply;
  asio::co_spawn(fixture.io, send_raw(fixture.port, ""),
                 [&](std::exception_ptr, RawReply result) { reply = std::move(result); });
  REQUIRE(run_until(fixture.io, [&] { return fixture.server.connection_count() == 1; }));

  fixture.server.stop();

  REQUIRE(run_until(fixture.io, [&] { return reply.has_value(); }));
  REQUIRE(reply->closed_by_server());
  REQUIRE(run_until(fixture.io, [&] { return fixture.server.connection_count() == 0; }));
}

TEST_CASE("HttpServer refuses connections after stop", "[http]") {
  ServerFixture fixture;
  fixture.server.stop();

  const auto reply = complete(fixture.io, send_raw(fixture.port, "GET /hello HTTP/1.1\r\n\r\n"));

  REQUIRE(reply.error == asio::error::connection_refused);
}

TEST_CASE("HttpServer listen rejects a non-IP address", "[http]") {
  asio::io_context io;
  Router router;
  HttpServer server(io, router);

  REQUIRE_THROWS_WITH(server.listen({"not-an-address", 0}), Catch::Contains("not-an-address"));
}

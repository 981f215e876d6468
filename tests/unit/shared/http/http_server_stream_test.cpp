#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "shared/http/event_stream.hpp"
#include "shared/http/http_server.hpp"
#include "shared/http/router.hpp"
#include "shared/http/server_sent_event.hpp"
#include "tests/unit/support/http_test_support.hpp"
#include "tests/unit/support/run_until.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using winebot::shared::EventStream;
using winebot::shared::format_event;
using winebot::shared::HttpResponse;
using winebot::shared::ServerSentEvent;
using winebot::test::complete;
using winebot::test::kPatience;
using winebot::test::run_for;
using winebot::test::run_until;
using winebot::test::send_raw;
using winebot::test::ServerFixture;
using winebot::test::small_server_limits;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// An event stream whose producer is the test.
class ScriptedStream : public EventStream {
 public:
  std::string take_pending() override {
    ++takes;
    return std::exchange(pending, {});
  }
  void on_closed() override { ++closes; }

  void send(const ServerSentEvent& event) {
    pending += format_event(event);
    wake();
  }

  std::string pending;
  int takes = 0;
  int closes = 0;
};

// Request and idle deadlines of 300 ms, a heartbeat every 100 ms, and GET /events serving
// `stream`.
struct StreamFixture {
  static winebot::shared::HttpServerLimits limits() {
    auto limits = small_server_limits();
    limits.heartbeat_interval = 100ms;
    limits.stream_write_timeout = 1000ms;
    return limits;
  }

  StreamFixture() : server(limits()) {
    server.router.add("GET", "/events", [this](const winebot::shared::HttpRequest&) {
      return HttpResponse::server_sent_events(stream);
    });
  }

  ServerFixture server;
  std::shared_ptr<ScriptedStream> stream = std::make_shared<ScriptedStream>();
};

// A hand-written client that keeps its connection open between reads.
class StreamClient {
 public:
  explicit StreamClient(asio::io_context& io) : socket_(io) {}

  asio::awaitable<bool> open(std::uint16_t port, std::string request) {
    const asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    auto [connect_error] = co_await socket_.async_connect(endpoint, kUseTuple);
    if (connect_error) {
      co_return false;
    }
    auto [write_error, count] =
        co_await asio::async_write(socket_, asio::buffer(request), kUseTuple);
    co_return !write_error;
  }

  // Reads until `bytes` contains `needle`, the connection ends or kPatience passes.
  asio::awaitable<bool> read_until(std::string needle) {
    socket_.expires_after(kPatience);
    char chunk[4096];
    while (bytes.find(needle) == std::string::npos) {
      auto [error, count] = co_await socket_.async_read_some(asio::buffer(chunk), kUseTuple);
      bytes.append(chunk, count);
      if (error) {
        ended = error;
        co_return bytes.find(needle) != std::string::npos;
      }
    }
    co_return true;
  }

  // Reads until the server closes the connection or kPatience passes.
  asio::awaitable<bool> read_to_end() {
    co_await read_until(std::string(1, '\0'));  // Never sent, so this reads to the end.
    co_return ended == asio::error::eof || ended == asio::error::connection_reset;
  }

  void close() { socket_.close(); }

  std::string bytes;
  boost::system::error_code ended;

 private:
  beast::tcp_stream socket_;
};

std::string request_for(const char* version = "HTTP/1.1") {
  return std::string("GET /events ") + version + "\r\nHost: test\r\n\r\n";
}

}  // namespace

TEST_CASE("HttpServer sends event-stream headers at once", "[stream]") {
  StreamFixture fixture;
  StreamClient client(fixture.server.io);
  REQUIRE(complete(fixture.server.io, client.open(fixture.server.port, request_for())));

  REQUIRE(complete(fixture.server.io, client.read_until("\r\n\r\n")));

  CHECK_THAT(client.bytes, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(client.bytes, Catch::Contains("Content-Type: text/event-stream\r\n"));
  CHECK_THAT(client.bytes, Catch::Contains("Cache-Control: no-cache\r\n"));
  CHECK_THAT(client.bytes, Catch::Contains("X-Accel-Buffering: no\r\n"));
  CHECK_THAT(client.bytes, Catch::Contains("Transfer-Encoding: chunked\r\n"));
  CHECK_THAT(client.bytes, !Catch::Contains("Content-Length"));
  CHECK(fixture.server.server.event_stream_count() == 1);
}

TEST_CASE("HttpServer writes events as the stream produces them", "[stream]") {
  StreamFixture fixture;
  StreamClient client(fixture.server.io);
  REQUIRE(complete(fixture.server.io, client.open(fixture.server.port, request_for())));
  REQUIRE(complete(fixture.server.io, client.read_until("\r\n\r\n")));

  fixture.stream->send({"1", "greeting", "hello\nworld"});
  REQUIRE(complete(fixture.server.io, client.read_until("data: world\n\n")));
  fixture.stream->send({"2", "", "second"});
  REQUIRE(complete(fixture.server.io, client.read_until("data: second\n\n")));

  CHECK_THAT(client.bytes, Catch::Contains("id: 1\nevent: greeting\ndata: hello\ndata: world\n\n"));
  CHECK_THAT(client.bytes, Catch::Contains("id: 2\ndata: second\n\n"));
}

TEST_CASE("HttpServer sends heartbeats past the request deadlines", "[stream]") {
  StreamFixture fixture;
  StreamClient client(fixture.server.io);
  REQUIRE(complete(fixture.server.io, client.open(fixture.server.port, request_for())));
  REQUIRE(complete(fixture.server.io, client.read_until("\r\n\r\n")));
  const auto started = std::chrono::steady_clock::now();

  // Three times the 300 ms request and idle deadlines, with a heartbeat every 100 ms.
  run_for(fixture.server.io, 900ms);
  fixture.stream->send({"9", "late", "still here"});
  REQUIRE(complete(fixture.server.io, client.read_until("data: still here\n\n")));

  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 900ms);
  std::size_t heartbeats = 0;
  for (auto at = client.bytes.find(": heartbeat\n\n"); at != std::string::npos;
       at = client.bytes.find(": heartbeat\n\n", at + 1)) {
    ++heartbeats;
  }
  CHECK(heartbeats >= 5);
  CHECK(heartbeats <= 12);
  CHECK(fixture.server.server.event_stream_count() == 1);
  CHECK(fixture.stream->closes == 0);
}

TEST_CASE("HttpServer closes a stream when the client leaves", "[stream]") {
  StreamFixture fixture;
  StreamClient client(fixture.server.io);
  REQUIRE(complete(fixture.server.io, client.open(fixture.server.port, request_for())));
  REQUIRE(complete(fixture.server.io, client.read_until("\r\n\r\n")));

  client.close();

  REQUIRE(run_until(fixture.server.io, [&] { return fixture.stream->closes == 1; }));
  CHECK(fixture.server.server.event_stream_count() == 0);
  REQUIRE(
      run_until(fixture.server.io, [&] { return fixture.server.server.connection_count() == 0; }));
  fixture.stream->send({"1", "", "nobody listens"});  // Must not reach a closed connection.
  run_for(fixture.server.io, 50ms);
  CHECK(fixture.stream->closes == 1);
}

TEST_CASE("HttpServer stop closes open streams promptly", "[stream]") {
  StreamFixture fixture;
  StreamClient client(fixture.server.io);
  REQUIRE(complete(fixture.server.io, client.open(fixture.server.port, request_for())));
  REQUIRE(complete(fixture.server.io, client.read_until("\r\n\r\n")));
  const auto started = std::chrono::steady_clock::now();

  fixture.server.server.stop();

  REQUIRE(complete(fixture.server.io, client.read_to_end()));
  CHECK(std::chrono::steady_clock::now() - started < 500ms);
  REQUIRE(run_until(fixture.server.io, [&] { return fixture.stream->closes == 1; }));
  CHECK(fixture.server.server.event_stream_count() == 0);
}

TEST_CASE("HttpServer ends a finished stream with the last chunk", "[stream]") {
  StreamFixture fixture;
  StreamClient client(fixture.server.io);
  REQUIRE(complete(fixture.server.io, client.open(fixture.server.port, request_for())));
  REQUIRE(complete(fixture.server.io, client.read_until("\r\n\r\n")));

  fixture.stream->send({"1", "", "bye"});
  fixture.stream->finish();

  REQUIRE(complete(fixture.server.io, client.read_to_end()));
  CHECK_THAT(client.bytes, Catch::Contains("data: bye\n\n"));
  CHECK_THAT(client.bytes, Catch::EndsWith("\r\n0\r\n\r\n"));
  CHECK(fixture.stream->closes == 1);
}

TEST_CASE("HttpServer streams raw text to an HTTP/1.0 client", "[stream]") {
  StreamFixture fixture;
  fixture.stream->send({"1", "", "first"});
  fixture.stream->finish();

  const auto reply =
      complete(fixture.server.io, send_raw(fixture.server.port, request_for("HTTP/1.0")));

  CHECK(reply.status() == 200);
  CHECK(reply.body() == "id: 1\ndata: first\n\n");
  CHECK(reply.closed_by_server());
}

TEST_CASE("HttpServer applies the response decorator to streams", "[stream]") {
  StreamFixture fixture;
  fixture.server.router.set_response_decorator(
      [](const winebot::shared::HttpRequest&, HttpResponse& response) {
        response.set_header("X-Test", "decorated");
      });
  fixture.stream->finish();

  const auto reply = complete(fixture.server.io, send_raw(fixture.server.port, request_for()));

  CHECK_THAT(reply.bytes, Catch::Contains("X-Test: decorated\r\n"));
  CHECK_THAT(reply.bytes, Catch::Contains("Content-Type: text/event-stream\r\n"));
}

#include "hub/api/screenshot_routes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hub/api/openapi_routes.hpp"
#include "hub/auth/node_tokens.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/http/http_server.hpp"
#include "tests/unit/support/http_test_support.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kNodeId = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr const char* kNodeToken = "node-token-a";
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "rest of a JPEG";

// A node's GET /screenshot on a real HttpServer: it records each request's target and X-API-Key
// and sends `reply`, or never replies when `silent` is set.
struct FakeNode {
  explicit FakeNode(asio::io_context& io) : server(io, router) {
    router.add_async("GET", "/screenshot",
                     [this](const shared::HttpRequest& request) { return serve(request); });
    port = server.listen({"127.0.0.1", 0});
  }

  asio::awaitable<shared::HttpResponse> serve(const shared::HttpRequest& request) {
    targets.push_back(request.target);
    api_keys.push_back(request.header("x-api-key").value_or(""));
    if (silent) {
      asio::steady_timer timer(co_await asio::this_coro::executor, 5s);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return reply;
  }

  static shared::HttpResponse image(std::string body) {
    shared::HttpResponse response;
    response.content_type = "image/jpeg";
    response.body = std::move(body);
    return response;
  }

  shared::Router router;
  shared::HttpServer server;
  std::uint16_t port = 0;
  shared::HttpResponse reply = image(kJpeg);
  bool silent = false;
  std::vector<std::string> targets;
  std::vector<std::string> api_keys;
};

NodeEndpoint loopback_endpoint(std::uint16_t port) {
  NodeEndpoint endpoint;
  endpoint.key = "fake/" + std::to_string(port);
  endpoint.source = "avahi";
  endpoint.address = "127.0.0.1";
  endpoint.port = port;
  return endpoint;
}

struct ProxyFixture {
  ProxyFixture() {
    tokens.set(kNodeId, kNodeToken);
    settings.node_timeout = 300ms;
    add_screenshot_route(router, registry, tokens, settings);
  }

  void add_node(std::uint16_t port) {
    registry.add_sighting(loopback_endpoint(port), {{"node_id", kNodeId}});
  }

  shared::HttpResponse get(const std::string& target) {
    shared::HttpRequest request;
    request.method = "GET";
    request.target = target;
    REQUIRE(shared::split_target(target, request.path, request.query));
    return test::complete(io, router.dispatch_async(request));
  }

  asio::io_context io;
  NodeRegistry registry{[] { return std::int64_t{1'000'000}; }};
  NodeTokens tokens;
  ScreenshotProxySettings settings;
  shared::Router router;
};

const std::string kRoute = std::string("/api/nodes/") + kNodeId + "/screenshot";

TEST_CASE("Screenshot proxy returns the node's JPEG", "[screenshot]") {
  ProxyFixture fixture;
  FakeNode node(fixture.io);
  fixture.add_node(node.port);

  const auto response = fixture.get(kRoute + "?width=640");
  CHECK(response.status == 200);
  CHECK(response.content_type == "image/jpeg");
  CHECK(response.body == kJpeg);
  REQUIRE(node.targets.size() == 1);
  CHECK(node.targets[0] == "/screenshot?width=640");
  CHECK(node.api_keys[0] == kNodeToken);
}

TEST_CASE("Screenshot proxy sends the default width", "[screenshot]") {
  ProxyFixture fixture;
  FakeNode node(fixture.io);
  fixture.add_node(node.port);
  CHECK(fixture.get(kRoute).status == 200);
  REQUIRE(node.targets.size() == 1);
  CHECK(node.targets[0] == "/screenshot?width=320");
}

TEST_CASE("Screenshot proxy rejects a bad width before the node", "[screenshot]") {
  ProxyFixture fixture;
  FakeNode node(fixture.io);
  fixture.add_node(node.port);
  for (const char* width : {"15", "1921", "abc", ""}) {
    INFO(width);
    const auto response = fixture.get(kRoute + "?width=" + width);
    CHECK(response.status == 400);
    CHECK_THAT(test::detail_of(response.body), Catch::Contains("from 16 to 1920"));
  }
  CHECK(node.targets.empty());
}

TEST_CASE("Screenshot proxy returns 404 for an unknown node", "[screenshot]") {
  ProxyFixture fixture;
  const auto response = fixture.get(kRoute);
  CHECK(response.status == 404);
  CHECK(test::detail_of(response.body) == std::string("node not found: ") + kNodeId);
}

TEST_CASE("Screenshot proxy passes the node's 503 on", "[screenshot]") {
  ProxyFixture fixture;
  FakeNode node(fixture.io);
  node.reply = shared::HttpResponse::error(503, "cannot open X display :99: Input/output error");
  fixture.add_node(node.port);
  const auto response = fixture.get(kRoute);
  CHECK(response.status == 503);
  CHECK(test::detail_of(response.body) == std::string("node ") + kNodeId +
                                              " has no screenshot: cannot open X display :99: "
                                              "Input/output error");
}

TEST_CASE("Screenshot proxy turns node failures into 502", "[screenshot]") {
  ProxyFixture fixture;
  FakeNode node(fixture.io);
  fixture.add_node(node.port);
  const std::tuple<shared::HttpResponse, const char*> cases[] = {
      {FakeNode::image("<html>not an image</html>"), "a body that is not a JPEG image"},
      {shared::HttpResponse::error(401, "Invalid or missing API Token"),
       "HTTP 401: Invalid or missing API Token. The hub's API token for this node"},
      {shared::HttpResponse::error(504, "X display :99 did not return a screenshot"),
       "HTTP 504: X display :99 did not return a screenshot"},
      {shared::HttpResponse::error(404, "Not Found"), "HTTP 404: Not Found"},
      {FakeNode::image(kJpeg + std::string(kMaxScreenshotBytes, 'x')),
       "with more than 4194304 bytes"},
  };
  for (const auto& [reply, expected] : cases) {
    INFO(expected);
    node.reply = reply;
    const auto response = fixture.get(kRoute);
    CHECK(response.status == 502);
    CHECK_THAT(test::detail_of(response.body), Catch::Contains(expected));
  }
}

TEST_CASE("Screenshot proxy reports a silent node as 502", "[screenshot]") {
  ProxyFixture fixture;
  FakeNode node(fixture.io);
  node.silent = true;
  fixture.add_node(node.port);
  const auto started = std::chrono::steady_clock::now();
  const auto response = fixture.get(kRoute);
  CHECK(response.status == 502);
  CHECK_THAT(test::detail_of(response.body),
             Catch::Contains("did not reply to GET "
                             "/screenshot?width=320 at 127.0.0.1:"));
  CHECK_THAT(test::detail_of(response.body), Catch::Contains("within 300 ms"));
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("Screenshot proxy reports an unreachable node as 502", "[screenshot]") {
  ProxyFixture fixture;
  std::uint16_t closed_port = 0;
  {
    const asio::ip::tcp::acceptor acceptor(
        fixture.io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    closed_port = acceptor.local_endpoint().port();
  }
  fixture.add_node(closed_port);
  const auto response = fixture.get(kRoute);
  CHECK(response.status == 502);
  CHECK_THAT(test::detail_of(response.body), Catch::Contains("cannot be reached at 127.0.0.1:"));
}

TEST_CASE("Screenshot proxy rejects a provisional node", "[screenshot]") {
  ProxyFixture fixture;
  const auto provisional_id = fixture.registry.add_address_sighting(loopback_endpoint(9));
  const auto response = fixture.get("/api/nodes/" + provisional_id + "/screenshot");
  CHECK(response.status == 409);
  CHECK_THAT(test::detail_of(response.body), Catch::Contains("not identified yet"));
}

TEST_CASE("Hub OpenAPI lists the screenshot route", "[screenshot]") {
  const auto document = hub_openapi_document();
  const auto& operation = document["paths"]["/api/nodes/{id}/screenshot"]["get"];
  for (const char* status : {"200", "400", "404", "502", "503"}) {
    INFO(status);
    CHECK(operation["responses"].contains(status));
  }
  CHECK(operation["responses"]["200"]["content"].contains("image/jpeg"));
}

}  // namespace
}  // namespace winebot::hub

#include "hub/api/action_routes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hub/api/admin_auth.hpp"
#include "hub/auth/node_tokens.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/http/http_server.hpp"
#include "tests/unit/support/http_test_support.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* kNodeId = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr const char* kNodeToken = "node-token-a";
constexpr const char* kAdminToken = "admin-token-0123456789";

// A scripted node on 127.0.0.1: it accepts connections, reads each request, records it, and
// sends `reply` as raw bytes, or nothing when `reply` is empty (the connection stays open until
// the test ends).
struct ScriptedNode {
  explicit ScriptedNode(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        port(acceptor.local_endpoint().port()) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  asio::awaitable<void> serve() {
    for (;;) {
      auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
      if (error) {
        co_return;
      }
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      auto [read_error, count] = co_await http::async_read(socket, buffer, request, kUseTuple);
      if (read_error) {
        continue;
      }
      requests.push_back(request);
      if (reply.empty()) {
        open.push_back(std::move(socket));
        continue;
      }
      co_await asio::async_write(socket, asio::buffer(reply), kUseTuple);
    }
  }

  static std::string json_reply(int status, const nlohmann::json& body) {
    const auto text = body.dump();
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" +
           text;
  }

  tcp::acceptor acceptor;
  std::uint16_t port;
  std::string reply;
  std::vector<http::request<http::string_body>> requests;
  std::vector<tcp::socket> open;
};

// A port on 127.0.0.1 that nothing listens on.
std::uint16_t closed_port(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

NodeEndpoint loopback_endpoint(std::uint16_t port) {
  NodeEndpoint endpoint;
  endpoint.key = "scripted/" + std::to_string(port);
  endpoint.source = "avahi";
  endpoint.address = "127.0.0.1";
  endpoint.port = port;
  return endpoint;
}

struct ActionFixture {
  ActionFixture() {
    tokens.set(kNodeId, kNodeToken);
    settings.node_timeout = 300ms;
  }

  void add_node(std::uint16_t port, const std::string& node_id = kNodeId) {
    registry.add_sighting(loopback_endpoint(port), {{"node_id", node_id}});
  }

  NodeActionResult forward(const std::string& node_id, const std::string& action,
                           std::string body = {}) {
    return test::complete(
        io, forward_node_action(registry, tokens, node_id, action, std::move(body), settings));
  }

  asio::io_context io;
  NodeRegistry registry{[] { return std::int64_t{1'000'000}; }};
  NodeTokens tokens;
  ActionSettings settings;
};

TEST_CASE("forward passes the node's reply through", "[actions]") {
  ActionFixture fixture;
  ScriptedNode node(fixture.io);
  node.reply =
      ScriptedNode::json_reply(400, {{"detail", "Recording is disabled by configuration."}});
  fixture.add_node(node.port);

  const auto result = fixture.forward(kNodeId, "start", R"({"session_label":"x"})");
  CHECK(result.hub_status == 200);
  CHECK(result.node_status == 400);
  CHECK(result.response["detail"] == "Recording is disabled by configuration.");
  REQUIRE(node.requests.size() == 1);
  CHECK(node.requests[0].method() == http::verb::post);
  CHECK(node.requests[0].target() == "/recording/start");
  CHECK(node.requests[0]["X-API-Key"] == kNodeToken);
  CHECK(node.requests[0].body() == R"({"session_label":"x"})");
}

TEST_CASE("forward reports an unreachable node as 502", "[actions]") {
  ActionFixture fixture;
  fixture.add_node(closed_port(fixture.io));
  const auto result = fixture.forward(kNodeId, "stop");
  CHECK(result.hub_status == 502);
  CHECK(result.node_status == 0);
  CHECK_THAT(result.detail, Catch::Contains("cannot be reached at 127.0.0.1:"));
}

TEST_CASE("forward reports a silent node as 504", "[actions]") {
  ActionFixture fixture;
  ScriptedNode node(fixture.io);  // Reads the request and never replies.
  fixture.add_node(node.port);
  const auto started = std::chrono::steady_clock::now();
  const auto result = fixture.forward(kNodeId, "pause");
  CHECK(result.hub_status == 504);
  CHECK_THAT(result.detail, Catch::Contains("within 300 ms"));
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("forward reports a non-JSON reply as 502", "[actions]") {
  ActionFixture fixture;
  ScriptedNode node(fixture.io);
  node.reply = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
  fixture.add_node(node.port);
  const auto result = fixture.forward(kNodeId, "resume");
  CHECK(result.hub_status == 502);
  CHECK_THAT(result.detail, Catch::Contains("not a JSON object"));
}

TEST_CASE("forward rejects unknown and provisional nodes", "[actions]") {
  ActionFixture fixture;
  CHECK(fixture.forward(kNodeId, "stop").hub_status == 404);

  const auto provisional_id = fixture.registry.add_address_sighting(loopback_endpoint(9));
  const auto result = fixture.forward(provisional_id, "stop");
  CHECK(result.hub_status == 409);
  CHECK_THAT(result.detail, Catch::Contains("not identified yet"));
}

// The action routes behind a real HttpServer, with an admin token.
struct RoutesFixture : ActionFixture {
  RoutesFixture() : auth(kAdminToken), server(io, router) {
    add_action_routes(router, registry, tokens, auth, settings);
    port = server.listen({"127.0.0.1", 0});
  }

  shared::HttpClientResult post(const std::string& target, std::string body = {},
                                const std::string& token = kAdminToken) {
    shared::HttpConnection connection(io.get_executor());
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) {
      headers.emplace_back("Authorization", "Bearer " + token);
    }
    return test::complete(
        io, connection.request("127.0.0.1", port, "POST", target, std::move(body), headers));
  }

  AdminAuth auth;
  shared::Router router;
  shared::HttpServer server;
  std::uint16_t port = 0;
};

TEST_CASE("action route checks auth, action and body", "[actions]") {
  RoutesFixture fixture;
  ScriptedNode node(fixture.io);
  node.reply = ScriptedNode::json_reply(200, {{"action", "stop"}, {"status", "idle"}});
  fixture.add_node(node.port);
  const auto target = std::string("/api/nodes/") + kNodeId + "/recording/";

  CHECK(fixture.post(target + "stop", {}, "").status == 401);
  CHECK(fixture.post(target + "stop", {}, "wrong-admin-token-123").status == 401);
  CHECK(fixture.post(target + "record").status == 400);
  CHECK(fixture.post(target + "stop", "{}").status == 400);
  CHECK(fixture.post(target + "start", "[1]").status == 400);
  CHECK(fixture.post(target + "start", std::string(kMaxStartBodyBytes + 1, ' ')).status == 413);
  CHECK(fixture.post("/api/nodes/unknown/recording/stop").status == 404);
  CHECK(node.requests.empty());

  const auto reply = fixture.post(target + "stop");
  REQUIRE(reply.status == 200);
  const auto body = nlohmann::json::parse(reply.body);
  CHECK(body["node_id"] == kNodeId);
  CHECK(body["action"] == "stop");
  CHECK(body["status_code"] == 200);
  CHECK(body["response"]["status"] == "idle");
}

TEST_CASE("fleet route returns one result per node", "[actions]") {
  RoutesFixture fixture;
  ScriptedNode node(fixture.io);
  node.reply = ScriptedNode::json_reply(200, {{"action", "pause"}, {"status", "paused"}});
  fixture.add_node(node.port);
  constexpr const char* kSilentId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  fixture.add_node(closed_port(fixture.io), kSilentId);

  CHECK(fixture.post("/api/fleet/recording/pause", "{}").status == 400);
  CHECK(fixture.post("/api/fleet/recording/pause", R"({"all": true, "request": {}})").status ==
        400);

  const auto reply =
      fixture.post("/api/fleet/recording/pause", std::string(R"({"node_ids": [")") + kNodeId +
                                                     R"(", ")" + kSilentId + R"(", "missing"]})");
  REQUIRE(reply.status == 200);
  const auto body = nlohmann::json::parse(reply.body);
  CHECK(body["action"] == "pause");
  CHECK(body["succeeded"] == 1);
  CHECK(body["failed"] == 2);
  REQUIRE(body["results"].size() == 3);
  CHECK(body["results"][0]["ok"] == true);
  CHECK(body["results"][0]["status"] == "paused");
  CHECK(body["results"][0]["status_code"] == 200);
  CHECK(body["results"][1]["ok"] == false);
  CHECK(body["results"][1]["status_code"].is_null());
  CHECK_THAT(body["results"][1]["detail"].get<std::string>(), Catch::Contains("cannot be reached"));
  CHECK_THAT(body["results"][2]["detail"].get<std::string>(), Catch::Contains("node not found"));
}

TEST_CASE("fleet route bounds its concurrency", "[actions]") {
  RoutesFixture fixture;
  fixture.settings.fleet_concurrency = 2;
  // Three silent nodes and a 300 ms deadline: two at a time take two rounds, about 600 ms.
  std::vector<std::unique_ptr<ScriptedNode>> nodes;
  nlohmann::json ids = nlohmann::json::array();
  const std::vector<std::string> node_ids = {"0f8fad5b-d9cb-469f-a165-70867728950a",
                                             "0f8fad5b-d9cb-469f-a165-70867728950b",
                                             "0f8fad5b-d9cb-469f-a165-70867728950c"};
  for (const auto& node_id : node_ids) {
    nodes.push_back(std::make_unique<ScriptedNode>(fixture.io));
    fixture.add_node(nodes.back()->port, node_id);
    ids.push_back(node_id);
  }
  shared::Router router;
  add_action_routes(router, fixture.registry, fixture.tokens, fixture.auth, fixture.settings);
  shared::HttpServer server(fixture.io, router);
  const auto port = server.listen({"127.0.0.1", 0});

  shared::HttpConnection connection(fixture.io.get_executor(), {5s});
  const auto started = std::chrono::steady_clock::now();
  const auto reply = test::complete(
      fixture.io, connection.request("127.0.0.1", port, "POST", "/api/fleet/recording/stop",
                                     nlohmann::json{{"node_ids", ids}}.dump(),
                                     {{"Authorization", std::string("Bearer ") + kAdminToken}}));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(reply.status == 200);
  CHECK(nlohmann::json::parse(reply.body)["failed"] == 3);
  CHECK(elapsed >= 550ms);
  CHECK(elapsed < 3s);
}

}  // namespace
}  // namespace winebot::hub

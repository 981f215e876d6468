#include "hub/stream/hub_event_feed.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hub/registry/node_registry.hpp"
#include "hub/stream/event_bus.hpp"

namespace winebot::hub {
namespace {

// The event type and data of the single event in `text`.
std::pair<std::string, nlohmann::json> only_event(const std::string& text) {
  const auto type_at = text.find("event: ");
  const auto data_at = text.find("data: ");
  REQUIRE(type_at != std::string::npos);
  REQUIRE(data_at != std::string::npos);
  REQUIRE(text.find("data: ", data_at + 1) == std::string::npos);
  const auto type = text.substr(type_at + 7, text.find('\n', type_at) - type_at - 7);
  return {type, nlohmann::json::parse(text.substr(data_at + 6))};
}

NodeRecord online_node() {
  NodeRecord node;
  node.id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  node.name = "node zero";
  node.state = NodeState::kOnline;
  node.state_reason = "answering";
  node.history.push_back({1234, NodeState::kDiscovered, NodeState::kOnline, "answering"});
  return node;
}

TEST_CASE("Feed publishes a state change as node.state", "[stream]") {
  EventBus bus;
  const auto subscription = bus.subscribe(std::nullopt);

  publish_node_change(bus, online_node(), true);

  const auto [type, data] = only_event(subscription->take_pending());
  CHECK(type == "node.state");
  CHECK(data["id"] == "0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK(data["from"] == "discovered");
  CHECK(data["to"] == "online");
  CHECK(data["reason"] == "answering");
  CHECK(data["at_ms"] == 1234);
  CHECK(data["node"]["name"] == "node zero");
}

TEST_CASE("Feed publishes a refresh as node.update", "[stream]") {
  EventBus bus;
  const auto subscription = bus.subscribe(std::nullopt);

  publish_node_change(bus, online_node(), false);

  const auto [type, data] = only_event(subscription->take_pending());
  CHECK(type == "node.update");
  CHECK(data["node"]["id"] == "0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK_FALSE(data.contains("from"));
  // The same fields as GET /api/nodes, so a client can replace its row with the event's node.
  CHECK(data["node"].contains("recorder_state"));
  CHECK(data["node"].contains("labels"));
}

TEST_CASE("Feed publishes a removal as node.removed", "[stream]") {
  EventBus bus;
  const auto subscription = bus.subscribe(std::nullopt);

  publish_node_removal(bus, "address:127.0.0.1:9001", "its last sighting was withdrawn");

  const auto [type, data] = only_event(subscription->take_pending());
  CHECK(type == "node.removed");
  CHECK(data == nlohmann::json{{"id", "address:127.0.0.1:9001"},
                               {"reason", "its last sighting was withdrawn"}});
}

TEST_CASE("Ingest publisher posts commits to the io_context", "[stream]") {
  boost::asio::io_context io;
  EventBus bus;
  const auto subscription = bus.subscribe(std::nullopt);
  IngestCommit commit;
  commit.node_id = "n1";
  commit.stream = "input";
  commit.count = 7;
  commit.newest_positions = {"5", "6"};
  commit.newest_bodies = {R"({"kind":"key"})", "not json"};

  make_ingest_publisher(io, bus)({commit});
  CHECK(subscription->queued_count() == 0);  // Nothing is published before the io_context runs.
  io.run();

  const auto [type, data] = only_event(subscription->take_pending());
  CHECK(type == "events");
  CHECK(data["node_id"] == "n1");
  CHECK(data["stream"] == "input");
  CHECK(data["count"] == 7);
  REQUIRE(data["newest"].size() == 2);
  CHECK(data["newest"][0] == nlohmann::json{{"position", "5"}, {"event", {{"kind", "key"}}}});
  CHECK(data["newest"][1]["event"].is_null());
}

}  // namespace
}  // namespace winebot::hub

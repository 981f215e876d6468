#include "hub/registry/node_registry.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

constexpr const char* kNodeId = "0f8fad5b-d9cb-469f-a165-70867728950e";

// A registry whose clock the test moves by hand.
struct RegistryFixture {
  std::int64_t now_ms = 1'000'000;
  NodeRegistry registry{[this] { return now_ms; }};
  std::vector<std::pair<std::string, bool>> notifications;

  RegistryFixture() {
    registry.add_listener([this](const NodeRecord& node, bool state_changed) {
      notifications.emplace_back(node.id, state_changed);
    });
  }

  static NodeEndpoint sighting(const std::string& key, const std::string& address, bool ipv6) {
    NodeEndpoint endpoint;
    endpoint.key = key;
    endpoint.source = "avahi";
    endpoint.address = address;
    endpoint.port = 8000;
    endpoint.ipv6 = ipv6;
    endpoint.instance_name = "WineBot on host";
    endpoint.host_name = "host.local";
    endpoint.service_type = "_winebot._tcp";
    return endpoint;
  }

  static shared::TxtRecord txt(const std::string& node_id = kNodeId) {
    return {{"txtvers", "1"}, {"node_id", node_id}, {"api_port", "8000"}};
  }

  const NodeRecord& node(const std::string& id = kNodeId) const {
    const auto* found = registry.find(id);
    REQUIRE(found != nullptr);
    return *found;
  }
};

TEST_CASE("NodeRegistry merges IPv4 and IPv6 sightings into one node", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v6/a", "fe80::7%eth0", true),
                                RegistryFixture::txt());
  fixture.registry.add_sighting(RegistryFixture::sighting("2/v6/a", "2001:db8::7", true),
                                RegistryFixture::txt());

  REQUIRE(fixture.registry.size() == 1);
  const auto& node = fixture.node();
  REQUIRE(node.sightings.size() == 3);
  REQUIRE(node.state == NodeState::kDiscovered);
  REQUIRE_FALSE(node.legacy);

  const auto order = node.probe_order();
  REQUIRE(order.size() == 3);
  CHECK(order[0].address == "192.0.2.7");
  CHECK(order[1].address == "2001:db8::7");
  CHECK(order[2].address == "fe80::7%eth0");
}

TEST_CASE("NodeRegistry keys nodes without node_id as legacy", "[registry]") {
  RegistryFixture fixture;
  const auto id = fixture.registry.add_sighting(
      RegistryFixture::sighting("1/v4/legacy", "192.0.2.8", false), {{"version", "0.9.6"}});

  CHECK(id == "legacy:WineBot on host@host.local");
  CHECK(fixture.node(id).legacy);
}

TEST_CASE("NodeRegistry treats a non-UUID node_id as legacy", "[registry]") {
  RegistryFixture fixture;
  const auto id = fixture.registry.add_sighting(
      RegistryFixture::sighting("1/v4/x", "192.0.2.9", false), RegistryFixture::txt("not-a-uuid"));
  CHECK(fixture.node(id).legacy);
}

TEST_CASE("NodeRegistry marks a node online after a fast probe", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 4.0, {{"node_id", kNodeId}, {"name", "Renamed"}});

  const auto& node = fixture.node();
  CHECK(node.state == NodeState::kOnline);
  CHECK(node.name == "Renamed");
  CHECK(node.last_ok_ms == fixture.now_ms);
  REQUIRE(node.history.size() == 1);
  CHECK(node.history.back().from == NodeState::kDiscovered);
  CHECK(node.history.back().to == NodeState::kOnline);
  CHECK(fixture.notifications.back() == std::make_pair(std::string(kNodeId), true));
}

TEST_CASE("NodeRegistry marks a slow answer degraded", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 1500.0, {{"node_id", kNodeId}});

  CHECK(fixture.node().state == NodeState::kDegraded);
  CHECK(fixture.node().state_reason == "slow answer: 1500 ms");
}

TEST_CASE("NodeRegistry degrades then offlines a silent advertised node", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}});

  fixture.now_ms += 1000;
  fixture.registry.record_probe_failure(kNodeId, "timed out");
  CHECK(fixture.node().state == NodeState::kDegraded);

  fixture.now_ms += 1000;
  fixture.registry.record_probe_failure(kNodeId, "timed out");
  CHECK(fixture.node().state == NodeState::kOffline);
  CHECK(fixture.node().state_reason == "no answer for 2.0 s (timed out)");
  CHECK(fixture.node().consecutive_failures == 2);
}

TEST_CASE("NodeRegistry marks a withdrawn silent node offline", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}});

  const auto owner = fixture.registry.remove_sighting("1/v4/a");
  REQUIRE(owner == std::optional<std::string>(kNodeId));
  fixture.registry.record_probe_failure(kNodeId, "Connection refused");

  const auto& node = fixture.node();
  CHECK(node.state == NodeState::kOffline);
  CHECK_FALSE(node.advertised());
  REQUIRE(node.stored_endpoints.size() == 1);
  CHECK(node.stored_endpoints.front().source == "last-known");
  CHECK(node.probe_order().front().address == "192.0.2.7");
}

TEST_CASE("NodeRegistry marks a node gone after a clean stop", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}});

  fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}, {"stopping", true}});
  CHECK(fixture.node().state == NodeState::kGone);

  fixture.registry.remove_sighting("1/v4/a");
  fixture.registry.record_probe_failure(kNodeId, "Connection refused");
  CHECK(fixture.node().state == NodeState::kGone);
}

TEST_CASE("NodeRegistry brings a gone node back online", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}, {"stopping", true}});
  fixture.registry.remove_sighting("1/v4/a");

  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}});

  CHECK(fixture.node().state == NodeState::kOnline);
  CHECK_FALSE(fixture.node().stop_announced);
  CHECK(fixture.registry.size() == 1);
}

TEST_CASE("NodeRegistry rejects an answer from another node id", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.record_probe_success(kNodeId, 3.0,
                                        {{"node_id", "11111111-2222-4333-8444-555555555555"}});

  CHECK(fixture.node().state != NodeState::kOnline);
  CHECK(fixture.node().consecutive_failures == 1);
}

TEST_CASE("NodeRegistry moves a sighting whose TXT names a new id", "[registry]") {
  RegistryFixture fixture;
  const std::string other = "11111111-2222-4333-8444-555555555555";
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt(other));

  CHECK(fixture.node(kNodeId).sightings.empty());
  CHECK(fixture.node(other).sightings.size() == 1);
}

TEST_CASE("NodeRegistry bounds the state history", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.add_sighting(RegistryFixture::sighting("1/v4/a", "192.0.2.7", false),
                                RegistryFixture::txt());
  for (int round = 0; round < 50; ++round) {
    fixture.registry.record_probe_success(kNodeId, 3.0, {{"node_id", kNodeId}});
    fixture.registry.record_probe_success(kNodeId, 5000.0, {{"node_id", kNodeId}});
  }
  CHECK(fixture.node().history.size() == NodeRegistry::kMaxHistory);
}

TEST_CASE("NodeRegistry ignores results for unknown nodes", "[registry]") {
  RegistryFixture fixture;
  fixture.registry.record_probe_success("missing", 1.0, {});
  fixture.registry.record_probe_failure("missing", "timed out");
  CHECK(fixture.registry.size() == 0);
  CHECK_FALSE(fixture.registry.remove_sighting("missing").has_value());
  CHECK(fixture.notifications.empty());
}

TEST_CASE("parse_node_state round-trips every state", "[registry]") {
  for (const auto state : {NodeState::kDiscovered, NodeState::kOnline, NodeState::kDegraded,
                           NodeState::kOffline, NodeState::kGone}) {
    CHECK(parse_node_state(to_string(state)) == std::optional<NodeState>(state));
  }
  CHECK_FALSE(parse_node_state("sideways").has_value());
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

TEST_CASE("NodeRegistry notifies every listener in order", "[registry][stream]") {
  RegistryFixture fixture;
  std::vector<std::string> calls;
  fixture.registry.add_listener(
      [&calls](const NodeRecord& node, bool) { calls.push_back("second:" + node.id); });
  fixture.registry.add_listener(
      [&calls](const NodeRecord& node, bool) { calls.push_back("third:" + node.id); });

  fixture.registry.add_sighting(RegistryFixture::sighting("k1", "192.0.2.1", false),
                                RegistryFixture::txt());

  REQUIRE(fixture.notifications.size() == 1);
  CHECK(calls == std::vector<std::string>{std::string("second:") + kNodeId,
                                          std::string("third:") + kNodeId});
}

}  // namespace
}  // namespace winebot::hub

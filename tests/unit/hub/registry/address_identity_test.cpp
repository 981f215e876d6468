// The identity rule for nodes found by DNS SRV or a static list: a provisional node keyed by
// address until the first probe returns the node's id.

#include <catch2/catch.hpp>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {
namespace {

constexpr const char* kNodeId = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr const char* kOtherId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

struct IdentityFixture {
  std::int64_t now_ms = 1'000'000;
  NodeRegistry registry{[this] { return now_ms; }};
  std::vector<std::pair<std::string, std::string>> identified;  // (provisional id, node id)

  IdentityFixture() {
    registry.set_identity_listener(
        [this](const std::string& provisional_id, const std::string& node_id) {
          identified.emplace_back(provisional_id, node_id);
        });
  }

  static NodeEndpoint srv(const std::string& address, std::uint16_t port,
                          const std::string& host = "node-0.nodes.test") {
    NodeEndpoint endpoint;
    endpoint.key = "srv:" + host + ":" + std::to_string(port) + "/" + address;
    endpoint.source = "srv";
    endpoint.address = address;
    endpoint.port = port;
    endpoint.ipv6 = address.find(':') != std::string::npos;
    endpoint.instance_name = host;
    endpoint.host_name = host;
    return endpoint;
  }

  static NodeEndpoint static_entry(const std::string& address, std::uint16_t port) {
    NodeEndpoint endpoint;
    endpoint.key = "static:" + address + ":" + std::to_string(port) + "/" + address;
    endpoint.source = "static";
    endpoint.address = address;
    endpoint.port = port;
    endpoint.instance_name = address + ":" + std::to_string(port);
    endpoint.host_name = address;
    return endpoint;
  }

  static nlohmann::json state(const std::string& node_id, const std::string& name = "node zero") {
    return {{"node_id", node_id}, {"name", name}};
  }
};

TEST_CASE("provisional_node_id brackets IPv6 addresses", "[registry]") {
  CHECK(provisional_node_id("127.0.0.1", 9001) == "address:127.0.0.1:9001");
  CHECK(provisional_node_id("2001:db8::1", 9001) == "address:[2001:db8::1]:9001");
}

TEST_CASE("Address sighting creates a provisional node", "[registry]") {
  IdentityFixture fixture;
  const auto id = fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  CHECK(id == "address:127.0.0.1:9001");
  const auto* node = fixture.registry.find(id);
  REQUIRE(node != nullptr);
  CHECK(node->provisional);
  CHECK_FALSE(node->legacy);
  CHECK(node->state == NodeState::kDiscovered);
  CHECK(node->state_reason == "listed by the srv source; not probed yet");
  CHECK(node->name == "node-0.nodes.test");
  REQUIRE(node->sightings.size() == 1);
  CHECK(node->sightings[0].source == "srv");
}

TEST_CASE("Probe with node_id turns a provisional node real", "[registry]") {
  IdentityFixture fixture;
  const auto provisional =
      fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  fixture.registry.record_probe_success(provisional, 5, IdentityFixture::state(kNodeId));

  CHECK(fixture.registry.find(provisional) == nullptr);
  CHECK(fixture.registry.size() == 1);
  const auto* node = fixture.registry.find(kNodeId);
  REQUIRE(node != nullptr);
  CHECK_FALSE(node->provisional);
  CHECK(node->state == NodeState::kOnline);
  CHECK(node->state_reason == "answering");
  CHECK(node->name == "node zero");
  REQUIRE(node->sightings.size() == 1);
  CHECK(node->sightings[0].source == "srv");
  REQUIRE(fixture.identified.size() == 1);
  CHECK(fixture.identified[0].first == provisional);
  CHECK(fixture.identified[0].second == kNodeId);
}

TEST_CASE("Identified node keeps its sighting on refresh", "[registry]") {
  IdentityFixture fixture;
  const auto endpoint = IdentityFixture::srv("127.0.0.1", 9001);
  const auto provisional = fixture.registry.add_address_sighting(endpoint);
  fixture.registry.record_probe_success(provisional, 5, IdentityFixture::state(kNodeId));

  // The next SRV round lists the same target again: it must stay with the real node.
  CHECK(fixture.registry.add_address_sighting(endpoint) == kNodeId);
  CHECK(fixture.registry.size() == 1);
  CHECK(fixture.registry.find(provisional) == nullptr);
  CHECK(fixture.registry.find(kNodeId)->name == "node zero");
}

TEST_CASE("Provisional node merges into a known node", "[registry]") {
  IdentityFixture fixture;
  // The node is already known over mDNS, with a TXT node_id.
  NodeEndpoint mdns;
  mdns.key = "1/v4/node";
  mdns.source = "avahi";
  mdns.address = "192.0.2.7";
  mdns.port = 8000;
  mdns.instance_name = "WineBot on host";
  fixture.registry.add_sighting(mdns, {{"txtvers", "1"}, {"node_id", kNodeId}});
  fixture.now_ms += 1000;

  const auto provisional =
      fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  REQUIRE(fixture.registry.size() == 2);
  fixture.registry.record_probe_success(provisional, 5, IdentityFixture::state(kNodeId));

  REQUIRE(fixture.registry.size() == 1);
  const auto* node = fixture.registry.find(kNodeId);
  REQUIRE(node != nullptr);
  CHECK(node->first_seen_ms == 1'000'000);
  REQUIRE(node->sightings.size() == 2);
  CHECK(node->sightings[0].source == "avahi");
  CHECK(node->sightings[1].source == "srv");

  // Removing the SRV sighting leaves the mDNS one: the node stays advertised.
  CHECK(fixture.registry.remove_sighting(node->sightings[1].key) == std::string(kNodeId));
  CHECK(fixture.registry.find(kNodeId)->advertised());
}

TEST_CASE("Two addresses of one node become one node", "[registry]") {
  IdentityFixture fixture;
  const auto via_v4 =
      fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  const auto via_v6 = fixture.registry.add_address_sighting(IdentityFixture::srv("::1", 9001));
  const auto via_static =
      fixture.registry.add_address_sighting(IdentityFixture::static_entry("127.0.0.1", 9001));
  CHECK(via_v4 != via_v6);
  CHECK(via_static == via_v4);  // Same address: the same provisional node.
  REQUIRE(fixture.registry.size() == 2);

  fixture.registry.record_probe_success(via_v4, 5, IdentityFixture::state(kNodeId));
  fixture.registry.record_probe_success(via_v6, 5, IdentityFixture::state(kNodeId));
  REQUIRE(fixture.registry.size() == 1);
  CHECK(fixture.registry.find(kNodeId)->sightings.size() == 3);
  CHECK(fixture.identified.size() == 2);
}

TEST_CASE("Provisional node without node_id stays provisional", "[registry]") {
  IdentityFixture fixture;
  const auto id = fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));

  SECTION("no node_id") {
    fixture.registry.record_probe_success(id, 5, nlohmann::json{{"name", "x"}});
  }
  SECTION("node_id that is not a UUID") {
    fixture.registry.record_probe_success(id, 5, IdentityFixture::state("node-7"));
  }
  const auto* node = fixture.registry.find(id);
  REQUIRE(node != nullptr);
  CHECK(node->provisional);
  CHECK(node->state == NodeState::kOnline);
  CHECK(node->state_reason ==
        "answering, but GET /state returned no node_id, so the node is known only by its "
        "address");
  CHECK(fixture.identified.empty());
}

TEST_CASE("Uppercase node_id is stored lower-cased", "[registry]") {
  IdentityFixture fixture;
  const auto id = fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  fixture.registry.record_probe_success(
      id, 5, IdentityFixture::state("0F8FAD5B-D9CB-469F-A165-70867728950E"));
  CHECK(fixture.registry.find(kNodeId) != nullptr);
}

TEST_CASE("Provisional node without sightings is deleted", "[registry]") {
  IdentityFixture fixture;
  const auto endpoint = IdentityFixture::srv("127.0.0.1", 9001);
  const auto id = fixture.registry.add_address_sighting(endpoint);
  fixture.registry.record_probe_failure(id, "connection refused");

  CHECK(fixture.registry.remove_sighting(endpoint.key) == id);
  CHECK(fixture.registry.find(id) == nullptr);
  CHECK(fixture.registry.size() == 0);
  // A later probe result for the deleted id changes nothing.
  fixture.registry.record_probe_success(id, 5, IdentityFixture::state(kNodeId));
  CHECK(fixture.registry.size() == 0);
}

TEST_CASE("Identified node outlives its removed sighting", "[registry]") {
  IdentityFixture fixture;
  const auto endpoint = IdentityFixture::srv("127.0.0.1", 9001);
  const auto provisional = fixture.registry.add_address_sighting(endpoint);
  fixture.registry.record_probe_success(provisional, 5, IdentityFixture::state(kNodeId));

  CHECK(fixture.registry.remove_sighting(endpoint.key) == std::string(kNodeId));
  const auto* node = fixture.registry.find(kNodeId);
  REQUIRE(node != nullptr);
  CHECK_FALSE(node->advertised());
  // The removed address is kept, so the poller can still probe it.
  REQUIRE(node->stored_endpoints.size() == 1);
  CHECK(node->stored_endpoints[0].address == "127.0.0.1");
  CHECK(node->stored_endpoints[0].port == 9001);

  fixture.registry.record_probe_failure(kNodeId, "connection refused");
  CHECK(fixture.registry.find(kNodeId)->state == NodeState::kOffline);
}

TEST_CASE("Identified node rejects an answer from another id", "[registry]") {
  IdentityFixture fixture;
  const auto provisional =
      fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  fixture.registry.record_probe_success(provisional, 5, IdentityFixture::state(kNodeId));
  fixture.now_ms += 5000;
  fixture.registry.record_probe_success(kNodeId, 5, IdentityFixture::state(kOtherId));

  const auto* node = fixture.registry.find(kNodeId);
  CHECK(node->state == NodeState::kOffline);
  CHECK_THAT(node->state_reason,
             Catch::Contains(std::string("address answers as node ") + kOtherId));
  CHECK(fixture.registry.find(kOtherId) == nullptr);
}

TEST_CASE("Current SRV sighting is probed before remembered ones", "[registry]") {
  IdentityFixture fixture;
  const auto old_endpoint = IdentityFixture::srv("127.0.0.2", 9001);
  const auto provisional = fixture.registry.add_address_sighting(old_endpoint);
  fixture.registry.record_probe_success(provisional, 5, IdentityFixture::state(kNodeId));
  fixture.registry.remove_sighting(old_endpoint.key);

  const auto moved = fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.3", 9001));
  fixture.registry.record_probe_success(moved, 5, IdentityFixture::state(kNodeId));
  const auto order = fixture.registry.find(kNodeId)->probe_order();
  REQUIRE(order.size() == 2);
  CHECK(order[0].address == "127.0.0.3");
  CHECK(order[0].source == "srv");
  CHECK(order[1].address == "127.0.0.2");
  CHECK(order[1].source == "last-known");
}

TEST_CASE("Listener is told about provisional nodes", "[registry]") {
  IdentityFixture fixture;
  std::vector<std::pair<std::string, bool>> provisional_flags;
  fixture.registry.add_listener([&](const NodeRecord& node, bool) {
    provisional_flags.emplace_back(node.id, node.provisional);
  });
  const auto id = fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));
  fixture.registry.record_probe_success(id, 5, IdentityFixture::state(kNodeId));
  REQUIRE(provisional_flags.size() == 2);
  CHECK(provisional_flags[0] == std::pair<std::string, bool>{id, true});
  CHECK(provisional_flags[1] == std::pair<std::string, bool>{kNodeId, false});
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

TEST_CASE("Identified provisional node is reported removed", "[registry][stream]") {
  IdentityFixture fixture;
  std::vector<std::pair<std::string, std::string>> removed;
  fixture.registry.add_removal_listener(
      [&](const std::string& id, const std::string& reason) { removed.emplace_back(id, reason); });
  const auto id = fixture.registry.add_address_sighting(IdentityFixture::srv("127.0.0.1", 9001));

  fixture.registry.record_probe_success(id, 5, IdentityFixture::state(kNodeId));

  REQUIRE(removed.size() == 1);
  CHECK(removed[0].first == id);
  CHECK(removed[0].second == std::string("identified as node ") + kNodeId);
}

TEST_CASE("Withdrawn provisional node is reported removed", "[registry][stream]") {
  IdentityFixture fixture;
  std::vector<std::string> removed;
  fixture.registry.add_removal_listener(
      [&](const std::string& id, const std::string&) { removed.push_back(id); });
  const auto endpoint = IdentityFixture::static_entry("127.0.0.1", 9001);
  const auto id = fixture.registry.add_address_sighting(endpoint);

  fixture.registry.remove_sighting(endpoint.key);

  CHECK(removed == std::vector<std::string>{id});
  CHECK(fixture.registry.find(id) == nullptr);
}

}  // namespace
}  // namespace winebot::hub

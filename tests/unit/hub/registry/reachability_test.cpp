#include "hub/registry/reachability.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

NodeRecord node_seen_at(const std::string& address, const std::string& interface_name) {
  NodeRecord node;
  node.id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  node.state = NodeState::kOnline;
  NodeEndpoint sighting;
  sighting.key = "1/v4/node";
  sighting.source = "avahi";
  sighting.address = address;
  sighting.port = 8000;
  sighting.interface_name = interface_name;
  node.sightings.push_back(sighting);
  return node;
}

TEST_CASE("reachability flags loopback seen on a LAN interface", "[reachability]") {
  const auto warnings = reachability_warnings(node_seen_at("127.0.0.1", "eth0"));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings.front(), Catch::Contains("loopback address 127.0.0.1 on eth0"));
}

TEST_CASE("reachability accepts loopback on the loopback interface", "[reachability]") {
  CHECK(reachability_warnings(node_seen_at("127.0.0.1", "lo")).empty());
  CHECK(reachability_warnings(node_seen_at("::1", "lo")).empty());
}

TEST_CASE("reachability flags Docker's default bridge", "[reachability]") {
  const auto warnings = reachability_warnings(node_seen_at("172.17.0.3", "docker0"));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings.front(), Catch::Contains("--advertise-port"));
}

TEST_CASE("reachability flags a refusing advertised port", "[reachability]") {
  auto node = node_seen_at("192.0.2.7", "eth0");
  node.state = NodeState::kOffline;
  node.state_reason = "no answer for 2.0 s (Connection refused at 192.0.2.7:8000)";
  const auto warnings = reachability_warnings(node);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings.front(), Catch::Contains("port 8000 refuses connections"));
}

TEST_CASE("reachability ignores a refusal after the advertisement ends", "[reachability]") {
  auto node = node_seen_at("192.0.2.7", "eth0");
  node.sightings.clear();
  node.state = NodeState::kOffline;
  node.state_reason = "advertisement withdrawn without a clean stop and no answer (refused)";
  CHECK(reachability_warnings(node).empty());
}

TEST_CASE("reachability has nothing to say about a healthy LAN node", "[reachability]") {
  CHECK(reachability_warnings(node_seen_at("192.0.2.7", "eth0")).empty());
  CHECK(reachability_warnings(node_seen_at("2001:db8::7", "eth0")).empty());
}

}  // namespace
}  // namespace winebot::hub

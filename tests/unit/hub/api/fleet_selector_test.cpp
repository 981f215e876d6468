#include "hub/api/fleet_selector.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace winebot::hub {
namespace {

constexpr const char* kNodeA = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr const char* kNodeB = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

std::optional<FleetSelector> parse(const std::string& body, std::string& error) {
  error.clear();
  return parse_fleet_selector(body, error);
}

NodeEndpoint endpoint(const std::string& key) {
  NodeEndpoint result;
  result.key = key;
  result.source = "avahi";
  result.address = "192.0.2.1";
  result.port = 8000;
  return result;
}

TEST_CASE("fleet selector accepts node ids and drops repeats", "[actions]") {
  std::string error;
  const auto body = nlohmann::json{{"node_ids", {kNodeA, kNodeB, kNodeA}}}.dump();
  const auto selector = parse(body, error);
  REQUIRE(selector);
  CHECK(selector->node_ids == std::vector<std::string>{kNodeA, kNodeB});
  CHECK_FALSE(selector->all);
  CHECK(selector->start_request.is_null());
}

TEST_CASE("fleet selector accepts all and filters", "[actions]") {
  std::string error;
  const auto all = parse(R"({"all": true, "request": {"session_label": "x"}})", error);
  REQUIRE(all);
  CHECK(all->all);
  CHECK(all->start_request["session_label"] == "x");

  const auto filtered = parse(R"({"state": "online", "label": "gpu"})", error);
  REQUIRE(filtered);
  CHECK(filtered->state == NodeState::kOnline);
  CHECK(filtered->label == "gpu");

  const auto by_label = parse(R"({"label": "gpu"})", error);
  REQUIRE(by_label);
  CHECK_FALSE(by_label->state.has_value());
}

TEST_CASE("fleet selector rejects empty and ambiguous bodies", "[actions]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must be a JSON object"},
      {"[]", "must be a JSON object"},
      {"{}", "empty selector"},
      {R"({"request": {}})", "empty selector"},
      {R"({"node_ids": ["a"], "all": true})", "ambiguous selector"},
      {R"({"all": true, "state": "online"})", "ambiguous selector"},
      {R"({"node_ids": ["a"], "label": "x"})", "ambiguous selector"},
      {R"({"all": false})", "all must be true"},
      {R"({"all": "yes"})", "all must be true"},
      {R"({"node_ids": []})", "non-empty array"},
      {R"({"node_ids": "a"})", "non-empty array"},
      {R"({"node_ids": ["a", ""]})", "non-empty strings"},
      {R"({"node_ids": ["a", 7]})", "non-empty strings"},
      {R"({"state": "sleeping"})", "state must be one of"},
      {R"({"label": ""})", "label must be a non-empty string"},
      {R"({"nodes": ["a"]})", "unknown selector key 'nodes'"},
      {R"({"all": true, "request": "x"})", "request must be a JSON object"},
  };
  for (const auto& [body, expected] : cases) {
    INFO(body);
    std::string error;
    CHECK_FALSE(parse(body, error));
    CHECK_THAT(error, Catch::Contains(expected));
  }
}

TEST_CASE("fleet selector caps the node id list", "[actions]") {
  nlohmann::json ids = nlohmann::json::array();
  for (std::size_t index = 0; index <= kMaxSelectedNodeIds; ++index) {
    ids.push_back("node-" + std::to_string(index));
  }
  std::string error;
  CHECK_FALSE(parse(nlohmann::json{{"node_ids", ids}}.dump(), error));
  CHECK_THAT(error, Catch::Contains("more than the maximum"));
}

TEST_CASE("fleet selection filters the registry", "[actions]") {
  std::int64_t now_ms = 1'000'000;
  NodeRegistry registry([&now_ms] { return now_ms; });
  registry.add_sighting(endpoint("a"), {{"node_id", kNodeA}, {"labels", "gpu, eu"}});
  registry.add_sighting(endpoint("b"), {{"node_id", kNodeB}});
  registry.record_probe_success(kNodeA, 5, nlohmann::json::object());

  std::string error;
  CHECK(select_fleet_nodes(*parse(R"({"all": true})", error), registry).size() == 2);
  CHECK(select_fleet_nodes(*parse(R"({"state": "online"})", error), registry) ==
        std::vector<std::string>{kNodeA});
  CHECK(select_fleet_nodes(*parse(R"({"label": "eu"})", error), registry) ==
        std::vector<std::string>{kNodeA});
  CHECK(select_fleet_nodes(*parse(R"({"state": "discovered", "label": "eu"})", error), registry)
            .empty());
  CHECK(select_fleet_nodes(*parse(R"({"node_ids": ["unknown"]})", error), registry) ==
        std::vector<std::string>{"unknown"});
}

}  // namespace
}  // namespace winebot::hub

#include "hub/api/node_query.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

using Parameters = std::map<std::string, std::string>;

NodeRecord make_node(std::string id, std::string name, NodeState state, std::string recorder = "",
                     std::string labels = "", std::int64_t last_seen_ms = 0) {
  NodeRecord node;
  node.id = std::move(id);
  node.name = std::move(name);
  node.state = state;
  node.last_seen_ms = last_seen_ms;
  if (!recorder.empty()) {
    node.last_state = {{"recorder", {{"state", recorder}}}};
  }
  if (!labels.empty()) {
    node.txt.push_back({"labels", labels});
  }
  node.txt.push_back({"version", "0.1.0"});
  return node;
}

struct Fleet {
  Fleet() {
    records = {make_node("id-c", "gamma", NodeState::kOnline, "recording", "gpu,eu", 30),
               make_node("id-a", "Alpha", NodeState::kOffline, "", "eu", 10),
               make_node("id-b", "beta", NodeState::kOnline, "paused", "", 20),
               make_node("id-d", "beta", NodeState::kDegraded, "idle", "gpu", 40)};
    records[1].txt.push_back({"state", "recording"});  // advertised only
    for (const auto& record : records) {
      nodes.push_back(&record);
    }
  }

  std::vector<std::string> ids(const Parameters& parameters) const {
    std::string error;
    const auto query = parse_node_query(parameters, error);
    REQUIRE(query);
    std::vector<std::string> result;
    for (const NodeRecord* node : select_nodes(nodes, *query).nodes) {
      result.push_back(node->id);
    }
    return result;
  }

  std::vector<NodeRecord> records;
  std::vector<const NodeRecord*> nodes;
};

using Ids = std::vector<std::string>;

TEST_CASE("NodeQuery default sorts by name then id", "[hub]") {
  const Fleet fleet;
  CHECK(fleet.ids({}) == Ids{"id-a", "id-b", "id-d", "id-c"});
}

TEST_CASE("NodeQuery filters by states", "[hub]") {
  const Fleet fleet;
  CHECK(fleet.ids({{"state", "online"}}) == Ids{"id-b", "id-c"});
  CHECK(fleet.ids({{"state", "online, degraded"}}) == Ids{"id-b", "id-d", "id-c"});
  CHECK(fleet.ids({{"state", ""}}).size() == 4);
}

TEST_CASE("NodeQuery filters by recorder state", "[hub]") {
  const Fleet fleet;
  CHECK(fleet.ids({{"recorder", "recording"}}) == Ids{"id-a", "id-c"});
  CHECK(fleet.ids({{"recorder", "paused,idle"}}) == Ids{"id-b", "id-d"});
}

TEST_CASE("NodeQuery labels must all match", "[hub]") {
  const Fleet fleet;
  CHECK(fleet.ids({{"label", "eu"}}) == Ids{"id-a", "id-c"});
  CHECK(fleet.ids({{"label", "gpu,eu"}}) == Ids{"id-c"});
  CHECK(fleet.ids({{"label", "none"}}).empty());
}

TEST_CASE("NodeQuery free text ignores case", "[hub]") {
  const Fleet fleet;
  CHECK(fleet.ids({{"q", "ALPHA"}}) == Ids{"id-a"});
  CHECK(fleet.ids({{"q", "id-d"}}) == Ids{"id-d"});
  CHECK(fleet.ids({{"q", "paused"}}) == Ids{"id-b"});
  CHECK(fleet.ids({{"q", "gpu"}}) == Ids{"id-d", "id-c"});
}

TEST_CASE("NodeQuery sorts both ways with id ties", "[hub]") {
  const Fleet fleet;
  CHECK(fleet.ids({{"sort", "-last_seen"}}) == Ids{"id-d", "id-c", "id-b", "id-a"});
  CHECK(fleet.ids({{"sort", "state"}}) == Ids{"id-b", "id-c", "id-d", "id-a"});
  // Equal names: the id breaks the tie, ascending, in both directions.
  CHECK(fleet.ids({{"sort", "-name"}}) == Ids{"id-c", "id-b", "id-d", "id-a"});
}

TEST_CASE("NodeQuery pages with total and offset", "[hub]") {
  const Fleet fleet;
  std::string error;
  const auto query = parse_node_query({{"limit", "3"}, {"offset", "2"}}, error);
  REQUIRE(query);
  const auto page = select_nodes(fleet.nodes, *query);
  CHECK(page.total == 4);
  REQUIRE(page.nodes.size() == 2);
  CHECK(page.nodes[0]->id == "id-d");
  CHECK(page.nodes[1]->id == "id-c");
  CHECK(fleet.ids({{"offset", "9"}}).empty());
}

TEST_CASE("NodeQuery rejects invalid values", "[hub]") {
  const std::vector<std::pair<Parameters, std::string>> cases{
      {{{"state", "sideways"}}, "invalid state 'sideways'"},
      {{{"recorder", "busy"}}, "invalid recorder state 'busy'"},
      {{{"sort", "size"}}, "invalid sort 'size'"},
      {{{"limit", "0"}}, "invalid limit '0'"},
      {{{"limit", "5001"}}, "from 1 to 5000"},
      {{{"limit", "ten"}}, "invalid limit 'ten'"},
      {{{"offset", "-1"}}, "invalid offset '-1'"},
      {{{"offset", "1.5"}}, "invalid offset"},
  };
  for (const auto& [parameters, expected] : cases) {
    std::string error;
    CHECK_FALSE(parse_node_query(parameters, error));
    CHECK_THAT(error, Catch::Contains(expected));
  }
}

TEST_CASE("NodeQuery finds repeated parameters", "[hub]") {
  CHECK(find_repeated_parameter("/api/nodes?label=a&label=b") ==
        std::optional<std::string>("label"));
  CHECK(find_repeated_parameter("/api/nodes?state=online&q=x&state") ==
        std::optional<std::string>("state"));
  CHECK_FALSE(find_repeated_parameter("/api/nodes?label=a,b&state=online"));
  CHECK_FALSE(find_repeated_parameter("/api/nodes?other=1&other=2"));
  CHECK_FALSE(find_repeated_parameter("/api/nodes"));
}

TEST_CASE("NodeQuery recorder state falls back to TXT", "[hub]") {
  auto node = make_node("id-x", "x", NodeState::kOnline);
  CHECK(recorder_state_of(node) == "unknown");
  node.txt.push_back({"state", "paused"});
  CHECK(recorder_state_of(node) == "paused");
  node.last_state = {{"recorder", {{"state", "recording"}}}};
  CHECK(recorder_state_of(node) == "recording");
}

TEST_CASE("NodeQuery labels trim blanks", "[hub]") {
  auto node = make_node("id-x", "x", NodeState::kOnline, "", " gpu , ,eu ");
  CHECK(labels_of(node) == std::vector<std::string>{"gpu", "eu"});
}

TEST_CASE("NodeQuery ignores unknown states and bad labels", "[hub]") {
  auto node = make_node("id-x", "x", NodeState::kOnline, "x\"} 1\nfake 1", " ok,bad label ");
  CHECK(recorder_state_of(node) == "unknown");
  CHECK(labels_of(node) == std::vector<std::string>{"ok"});
  node.last_state = {{"labels", {std::string(33, 'a'), "fine"}}};
  CHECK(labels_of(node) == std::vector<std::string>{"fine"});
}

TEST_CASE("NodeQuery labels prefer the node's state", "[hub]") {
  auto node = make_node("id-x", "x", NodeState::kOnline, "", "old");
  node.last_state = {{"labels", {"gpu", "", 7, "eu"}}};
  CHECK(labels_of(node) == std::vector<std::string>{"gpu", "eu"});
}

}  // namespace
}  // namespace winebot::hub

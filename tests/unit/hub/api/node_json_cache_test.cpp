#include "hub/api/node_json_cache.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

NodeRecord make_node(std::string id, std::uint64_t revision) {
  NodeRecord node;
  node.id = std::move(id);
  node.name = "node " + node.id;
  node.revision = revision;
  return node;
}

TEST_CASE("NodeJsonCache reuses text until the revision changes", "[hub]") {
  NodeJsonCache cache;
  auto node = make_node("a", 1);
  const auto first = cache.text(node);
  CHECK(nlohmann::json::parse(first)["name"] == "node a");

  node.name = "renamed";  // a change the registry has not announced yet
  CHECK(cache.text(node) == first);

  node.revision = 2;
  CHECK(nlohmann::json::parse(cache.text(node))["name"] == "renamed");
}

TEST_CASE("NodeJsonCache never caches revision zero", "[hub]") {
  NodeJsonCache cache;
  auto node = make_node("a", 0);
  cache.text(node);
  node.name = "renamed";
  CHECK(nlohmann::json::parse(cache.text(node))["name"] == "renamed");
  CHECK(cache.size() == 0);
}

TEST_CASE("NodeJsonCache prunes departed nodes", "[hub]") {
  NodeJsonCache cache;
  std::vector<NodeRecord> nodes;
  for (int index = 0; index < 5; ++index) {
    nodes.push_back(make_node(std::to_string(index), 1));
  }
  for (const auto& node : nodes) {
    cache.text(node);
  }
  const std::vector<const NodeRecord*> present{&nodes[0], &nodes[1]};
  cache.prune(present);
  CHECK(cache.size() == 2);
}

TEST_CASE("Node list body is valid JSON with the page", "[hub]") {
  const std::string first = R"({"id":"a"})";
  const std::string second = R"({"id":"b"})";
  const auto body = nlohmann::json::parse(node_list_body({&first, &second}, 5, 1, 2));
  CHECK(body["nodes"].size() == 2);
  CHECK(body["nodes"][1]["id"] == "b");
  CHECK(body["count"] == 2);
  CHECK(body["total"] == 5);
  CHECK(body["offset"] == 1);
  CHECK(body["limit"] == 2);
  CHECK(body["next_offset"] == 3);
  const auto last = nlohmann::json::parse(node_list_body({}, 0, 0, 10));
  CHECK(last["nodes"].empty());
  CHECK(last["next_offset"].is_null());
}

}  // namespace
}  // namespace winebot::hub

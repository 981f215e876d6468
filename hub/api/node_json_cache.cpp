#include "hub/api/node_json_cache.hpp"

#include <unordered_set>

#include "hub/api/node_query.hpp"
#include "hub/registry/node_json.hpp"

namespace winebot::hub {
namespace {

std::string serialize(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json listed_node(const NodeRecord& node) {
  auto object = node_to_json(node);
  object["recorder_state"] = recorder_state_of(node);
  object["labels"] = labels_of(node);
  return object;
}

const std::string& NodeJsonCache::text(const NodeRecord& node) {
  if (node.revision == 0) {
    uncached_ = serialize(listed_node(node));
    return uncached_;
  }
  auto& entry = entries_[node.id];
  if (entry.revision != node.revision || entry.text.empty()) {
    entry.text = serialize(listed_node(node));
    entry.revision = node.revision;
  }
  return entry.text;
}

void NodeJsonCache::prune(const std::vector<const NodeRecord*>& present) {
  if (entries_.size() <= 2 * present.size()) {
    return;
  }
  std::unordered_set<std::string> ids;
  for (const NodeRecord* node : present) {
    ids.insert(node->id);
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = ids.count(it->first) != 0 ? std::next(it) : entries_.erase(it);
  }
}

std::string node_list_body(const std::vector<const std::string*>& nodes, std::size_t total,
                           std::size_t offset, std::size_t limit) {
  std::size_t size = 128;
  for (const std::string* node : nodes) {
    size += node->size() + 1;
  }
  std::string body;
  body.reserve(size);
  body += "{\"nodes\":[";
  for (std::size_t index = 0; index < nodes.size(); ++index) {
    body += index == 0 ? "" : ",";
    body += *nodes[index];
  }
  const auto end = offset + nodes.size();
  body += "],\"count\":" + std::to_string(nodes.size()) + ",\"total\":" + std::to_string(total) +
          ",\"offset\":" + std::to_string(offset) + ",\"limit\":" + std::to_string(limit) +
          ",\"next_offset\":" + (end < total ? std::to_string(end) : std::string("null")) + "}";
  return body;
}

}  // namespace winebot::hub

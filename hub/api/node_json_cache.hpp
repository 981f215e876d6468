#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

// A node as the API shows it: node_to_json plus the derived `recorder_state` and `labels`.
nlohmann::json listed_node(const NodeRecord& node);

// Serialized listed_node JSON per node, reused while the node's revision is unchanged, so that
// GET /api/nodes for a large fleet costs a copy of each node's text instead of building and
// printing every node's JSON again. A node the registry has not yet revised (revision 0) is
// never cached.
//
// Threading: not synchronised; it belongs to the io_context thread that owns the registry.
class NodeJsonCache {
 public:
  // Returns the node's serialized JSON, from the cache when its revision matches.
  const std::string& text(const NodeRecord& node);

  // Drops the entries of nodes not in `present` once the cache contains more than twice as many
  // entries as there are nodes; call it after a full listing.
  void prune(const std::vector<const NodeRecord*>& present);

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t revision = 0;
    std::string text;
  };

  std::unordered_map<std::string, Entry> entries_;
  std::string uncached_;  // the text of a node with revision 0
};

// Builds the GET /api/nodes reply body from serialized nodes and the page figures.
std::string node_list_body(const std::vector<const std::string*>& nodes, std::size_t total,
                           std::size_t offset, std::size_t limit);

}  // namespace winebot::hub

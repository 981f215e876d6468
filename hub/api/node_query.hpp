#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

// Largest page GET /api/nodes returns; also the default, so that a dashboard asking without
// `limit` gets every node of a fleet of this size.
inline constexpr std::size_t kMaxNodePage = 5000;

enum class NodeSortKey { kName, kId, kState, kRecorder, kLastSeen, kFirstSeen, kVersion };

// The filters, order and page of GET /api/nodes.
struct NodeQuery {
  std::vector<NodeState> states;             // `state=online,degraded`; empty: any
  std::vector<std::string> recorder_states;  // `recorder=recording,paused`; empty: any
  std::vector<std::string> labels;           // `label=gpu,eu`: a node must carry every one
  std::string text;                          // `q=...`, lower case; empty: any
  NodeSortKey sort = NodeSortKey::kName;     // `sort=name`, `sort=-last_seen`, ...
  bool descending = false;
  std::size_t offset = 0;            // `offset=N`
  std::size_t limit = kMaxNodePage;  // `limit=N`, 1 to kMaxNodePage
};

// Parses the query string of GET /api/nodes. Unknown parameters are ignored. Returns nullopt
// with `error` set (for a 400 reply) when a value is invalid, naming it and the accepted ones.
std::optional<NodeQuery> parse_node_query(const std::map<std::string, std::string>& parameters,
                                          std::string& error);

// Returns the first GET /api/nodes parameter that `target` (the raw request target) gives more
// than once. The parsed query keeps only the last value, so a repeated filter would silently
// widen the selection; the route rejects it instead.
std::optional<std::string> find_repeated_parameter(std::string_view target);

struct NodePage {
  std::vector<const NodeRecord*> nodes;  // the requested page, in order
  std::size_t total = 0;                 // nodes matching the filters, all pages
};

// Filters, sorts and pages `nodes`. Ties in the sort key are ordered by node id, so pages are
// stable while the fleet does not change.
NodePage select_nodes(const std::vector<const NodeRecord*>& nodes, const NodeQuery& query);

// The node's recorder state: from its newest /state (recorder.state), else its TXT `state`,
// else "unknown".
std::string recorder_state_of(const NodeRecord& node);

// The node's labels: the `labels` array of its newest /state, else its TXT `labels` split at
// commas, with blanks trimmed and empty items dropped.
std::vector<std::string> labels_of(const NodeRecord& node);

}  // namespace winebot::hub

#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

// Most node ids one `node_ids` selector may list.
inline constexpr std::size_t kMaxSelectedNodeIds = 10'000;

// Which nodes a fleet action applies to: the JSON body of POST /api/fleet/recording/{action}.
// Exactly one form:
//   {"node_ids": ["ID", ...]}         these nodes, in this order, repeats dropped
//   {"all": true}                     every node the hub lists except gone ones
//   {"state": "online", "label": "x"} nodes in that state and/or carrying that TXT label
// plus, for start only, an optional "request": {...} forwarded to each node as its body.
struct FleetSelector {
  std::vector<std::string> node_ids;
  bool all = false;
  std::optional<NodeState> state;
  std::optional<std::string> label;
  nlohmann::json start_request;  // Null when absent.
};

// Parses a selector. Returns nullopt with `error` set (for a 400 reply) when the body is not a
// JSON object, names an unknown key, selects nothing, or mixes the forms, as in
// {"node_ids": [...], "all": true}.
std::optional<FleetSelector> parse_fleet_selector(const std::string& body, std::string& error);

// The ids `selector` names in `registry`, in the registry's order (by name, then id) for the
// filter forms and in the given order for `node_ids`, whose ids need not exist.
std::vector<std::string> select_fleet_nodes(const FleetSelector& selector,
                                            const NodeRegistry& registry);

}  // namespace winebot::hub

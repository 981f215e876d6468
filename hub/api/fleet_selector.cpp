#include "hub/api/fleet_selector.hpp"

#include <algorithm>
#include <set>

#include "hub/api/node_query.hpp"

namespace winebot::hub {
namespace {

using nlohmann::json;

constexpr const char* kShapes =
    "use exactly one of {\"node_ids\": [...]}, {\"all\": true}, or {\"state\": ..., \"label\": "
    "...}";

bool parse_node_ids(const json& value, FleetSelector& selector, std::string& error) {
  if (!value.is_array() || value.empty()) {
    error = "node_ids must be a non-empty array of node ids";
    return false;
  }
  if (value.size() > kMaxSelectedNodeIds) {
    error = "node_ids lists " + std::to_string(value.size()) + " ids, more than the maximum of " +
            std::to_string(kMaxSelectedNodeIds);
    return false;
  }
  std::set<std::string> seen;
  for (const auto& item : value) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      error = "node_ids must contain only non-empty strings";
      return false;
    }
    if (seen.insert(item.get<std::string>()).second) {
      selector.node_ids.push_back(item.get<std::string>());
    }
  }
  return true;
}

bool parse_filters(const json& body, FleetSelector& selector, std::string& error) {
  if (const auto state = body.find("state"); state != body.end()) {
    selector.state =
        state->is_string() ? parse_node_state(state->get<std::string>()) : std::nullopt;
    if (!selector.state) {
      error = "state must be one of discovered, online, degraded, offline or gone";
      return false;
    }
  }
  if (const auto label = body.find("label"); label != body.end()) {
    if (!label->is_string() || label->get<std::string>().empty()) {
      error = "label must be a non-empty string";
      return false;
    }
    selector.label = label->get<std::string>();
  }
  return true;
}

}  // namespace

std::optional<FleetSelector> parse_fleet_selector(const std::string& body, std::string& error) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    error = "the selector must be a JSON object: " + std::string(kShapes);
    return std::nullopt;
  }
  for (const auto& [key, value] : parsed.items()) {
    if (key != "node_ids" && key != "all" && key != "state" && key != "label" && key != "request") {
      error = "unknown selector key '" + key + "': " + kShapes;
      return std::nullopt;
    }
  }

  FleetSelector selector;
  const bool has_ids = parsed.contains("node_ids");
  const bool has_all = parsed.contains("all");
  const bool has_filter = parsed.contains("state") || parsed.contains("label");
  if (int(has_ids) + int(has_all) + int(has_filter) != 1) {
    error = (has_ids || has_all || has_filter ? "ambiguous selector: " : "empty selector: ") +
            std::string(kShapes);
    return std::nullopt;
  }
  if (has_ids && !parse_node_ids(parsed["node_ids"], selector, error)) {
    return std::nullopt;
  }
  if (has_all) {
    if (parsed["all"] != true) {
      error = "all must be true; to select fewer nodes use node_ids, state or label";
      return std::nullopt;
    }
    selector.all = true;
  }
  if (has_filter && !parse_filters(parsed, selector, error)) {
    return std::nullopt;
  }

  if (const auto request = parsed.find("request"); request != parsed.end()) {
    if (!request->is_object()) {
      error = "request must be a JSON object, the body forwarded to each node";
      return std::nullopt;
    }
    selector.start_request = *request;
  }
  return selector;
}

std::vector<std::string> select_fleet_nodes(const FleetSelector& selector,
                                            const NodeRegistry& registry) {
  if (!selector.node_ids.empty()) {
    return selector.node_ids;
  }
  std::vector<std::string> ids;
  for (const NodeRecord* node : registry.nodes()) {
    if (selector.all && node->state == NodeState::kGone) {
      continue;
    }
    if (selector.state && node->state != *selector.state) {
      continue;
    }
    if (selector.label) {
      const auto labels = labels_of(*node);
      if (std::find(labels.begin(), labels.end(), *selector.label) == labels.end()) {
        continue;
      }
    }
    ids.push_back(node->id);
  }
  return ids;
}

}  // namespace winebot::hub

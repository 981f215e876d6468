#pragma once

#include <nlohmann/json.hpp>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

// The API's view of a node: identity, addresses, TXT, state with reason and history, and the
// newest /state the node returned.
nlohmann::json node_to_json(const NodeRecord& node);

nlohmann::json endpoints_to_json(const std::vector<NodeEndpoint>& endpoints);
// Reads endpoints written by endpoints_to_json; malformed items are skipped.
std::vector<NodeEndpoint> endpoints_from_json(const nlohmann::json& value);

// TXT as an object; a valueless key maps to null.
nlohmann::json txt_to_json(const shared::TxtRecord& txt);
shared::TxtRecord txt_from_json(const nlohmann::json& value);

}  // namespace winebot::hub

#include "hub/registry/node_json.hpp"

#include "hub/registry/reachability.hpp"

namespace winebot::hub {

using nlohmann::json;

json endpoints_to_json(const std::vector<NodeEndpoint>& endpoints) {
  json list = json::array();
  for (const auto& endpoint : endpoints) {
    list.push_back({{"address", endpoint.address},
                    {"port", endpoint.port},
                    {"source", endpoint.source},
                    {"interface", endpoint.interface_name},
                    {"protocol", endpoint.ipv6 ? "ipv6" : "ipv4"},
                    {"instance", endpoint.instance_name},
                    {"host", endpoint.host_name},
                    {"type", endpoint.service_type},
                    {"key", endpoint.key}});
  }
  return list;
}

std::vector<NodeEndpoint> endpoints_from_json(const json& value) {
  std::vector<NodeEndpoint> endpoints;
  if (!value.is_array()) {
    return endpoints;
  }
  for (const auto& item : value) {
    if (!item.is_object() || !item.contains("address") || !item["address"].is_string() ||
        !item.contains("port") || !item["port"].is_number_unsigned()) {
      continue;
    }
    NodeEndpoint endpoint;
    endpoint.address = item["address"].get<std::string>();
    endpoint.port = item["port"].get<std::uint16_t>();
    endpoint.source = item.value("source", "stored");
    endpoint.interface_name = item.value("interface", "");
    endpoint.ipv6 = item.value("protocol", "ipv4") == "ipv6";
    endpoint.instance_name = item.value("instance", "");
    endpoint.host_name = item.value("host", "");
    endpoint.service_type = item.value("type", "");
    endpoint.key = item.value("key", endpoint.address + ":" + std::to_string(endpoint.port));
    endpoints.push_back(std::move(endpoint));
  }
  return endpoints;
}

json txt_to_json(const shared::TxtRecord& txt) {
  json object = json::object();
  for (const auto& entry : txt) {
    object[entry.key] = entry.value ? json(*entry.value) : json(nullptr);
  }
  return object;
}

shared::TxtRecord txt_from_json(const json& value) {
  shared::TxtRecord txt;
  if (!value.is_object()) {
    return txt;
  }
  for (const auto& [key, item] : value.items()) {
    if (item.is_string()) {
      txt.push_back({key, item.get<std::string>()});
    } else if (item.is_null()) {
      txt.push_back({key, std::nullopt});
    }
  }
  return txt;
}

json node_to_json(const NodeRecord& node) {
  json history = json::array();
  for (const auto& transition : node.history) {
    history.push_back({{"at_ms", transition.at_ms},
                       {"from", to_string(transition.from)},
                       {"to", to_string(transition.to)},
                       {"reason", transition.reason}});
  }
  const auto endpoints = node.probe_order();
  return {{"id", node.id},
          {"name", node.name},
          {"legacy", node.legacy},
          {"state", to_string(node.state)},
          {"state_reason", node.state_reason},
          {"state_since_ms", node.state_since_ms},
          {"advertised", node.advertised()},
          {"address", endpoints.empty() ? json(nullptr) : json(endpoints.front().address)},
          {"port", endpoints.empty() ? json(nullptr) : json(endpoints.front().port)},
          {"addresses", endpoints_to_json(endpoints)},
          {"txt", txt_to_json(node.txt)},
          {"first_seen_ms", node.first_seen_ms},
          {"last_seen_ms", node.last_seen_ms},
          {"last_ok_ms", node.last_ok_ms},
          {"latency_ms", node.last_latency_ms},
          {"consecutive_failures", node.consecutive_failures},
          {"history", history},
          {"warnings", reachability_warnings(node)},
          {"token", to_string(node.token_status)},
          {"node_state", node.last_state.is_null() ? json::object() : node.last_state}};
}

}  // namespace winebot::hub

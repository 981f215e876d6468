#include "hub/registry/node_registry.hpp"

#include <algorithm>
#include <cstdio>

#include "shared/config/host_port.hpp"
#include "shared/util/uuid.hpp"

namespace winebot::hub {
namespace {

std::string format_ms(double milliseconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f ms", milliseconds);
  return text;
}

std::string format_seconds(std::int64_t milliseconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(milliseconds) / 1000.0);
  return text;
}

int endpoint_rank(const NodeEndpoint& endpoint) {
  const bool stored = endpoint.source == "last-known" || endpoint.source == "stored";
  const bool link_local = endpoint.address.rfind("fe80:", 0) == 0;
  int family_rank = 0;
  if (endpoint.ipv6) {
    family_rank = link_local ? 2 : 1;
  }
  return (stored ? 10 : 0) + family_rank;
}

std::string to_lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  return text;
}

// The node id a GET /state body reports, lower-cased, when it is a UUID.
std::optional<std::string> reported_node_id(const nlohmann::json& state) {
  if (!state.is_object()) {
    return std::nullopt;
  }
  const auto found = state.find("node_id");
  if (found == state.end() || !found->is_string() || !shared::is_uuid(found->get<std::string>())) {
    return std::nullopt;
  }
  return to_lower_ascii(found->get<std::string>());
}

}  // namespace

const char* to_string(NodeState state) {
  switch (state) {
    case NodeState::kDiscovered:
      return "discovered";
    case NodeState::kOnline:
      return "online";
    case NodeState::kDegraded:
      return "degraded";
    case NodeState::kOffline:
      return "offline";
    case NodeState::kGone:
      return "gone";
  }
  return "discovered";
}

std::optional<NodeState> parse_node_state(std::string_view text) {
  for (const auto state : {NodeState::kDiscovered, NodeState::kOnline, NodeState::kDegraded,
                           NodeState::kOffline, NodeState::kGone}) {
    if (text == to_string(state)) {
      return state;
    }
  }
  return std::nullopt;
}

std::vector<NodeEndpoint> NodeRecord::probe_order() const {
  std::vector<NodeEndpoint> endpoints = sightings;
  endpoints.insert(endpoints.end(), stored_endpoints.begin(), stored_endpoints.end());
  std::stable_sort(endpoints.begin(), endpoints.end(),
                   [](const NodeEndpoint& left, const NodeEndpoint& right) {
                     return endpoint_rank(left) < endpoint_rank(right);
                   });
  std::vector<NodeEndpoint> unique;
  for (auto& endpoint : endpoints) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const NodeEndpoint& other) {
      return other.address == endpoint.address && other.port == endpoint.port;
    });
    if (!seen) {
      unique.push_back(std::move(endpoint));
    }
  }
  return unique;
}

std::string node_id_for(const shared::TxtRecord& txt, const std::string& instance_name,
                        const std::string& host_name, bool& legacy) {
  const auto id = shared::find_txt_value(txt, "node_id");
  if (id && shared::is_uuid(*id)) {
    legacy = false;
    std::string lower = *id;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char character) { return std::tolower(character); });
    return lower;
  }
  legacy = true;
  return "legacy:" + instance_name + "@" + host_name;
}

std::string provisional_node_id(const std::string& address, std::uint16_t port) {
  return "address:" + shared::HostPort{address, port}.to_string();
}

NodeRegistry::NodeRegistry(std::function<std::int64_t()> now_ms, RegistrySettings settings)
    : now_ms_(std::move(now_ms)), settings_(settings) {}

NodeRecord& NodeRegistry::node_for_sighting(const NodeEndpoint& endpoint,
                                            const shared::TxtRecord& txt) {
  bool legacy = false;
  const auto id = node_id_for(txt, endpoint.instance_name, endpoint.host_name, legacy);
  auto [it, inserted] = nodes_.try_emplace(id);
  NodeRecord& node = it->second;
  if (inserted) {
    const auto now = now_ms_();
    node.id = id;
    node.legacy = legacy;
    node.first_seen_ms = now;
    node.state_since_ms = now;
    node.state_reason = "advertised over mDNS; not probed yet";
  }
  return node;
}

std::string NodeRegistry::add_sighting(const NodeEndpoint& endpoint, const shared::TxtRecord& txt) {
  // A sighting whose TXT now names another node moves to that node.
  if (const auto owner = sighting_owner_.find(endpoint.key); owner != sighting_owner_.end()) {
    bool legacy = false;
    if (owner->second != node_id_for(txt, endpoint.instance_name, endpoint.host_name, legacy)) {
      remove_sighting(endpoint.key);
    }
  }

  NodeRecord& node = node_for_sighting(endpoint, txt);
  attach_sighting(node, endpoint);
  node.txt = txt;
  node.name = endpoint.instance_name;
  node.last_seen_ms = now_ms_();
  notify(node, false);
  return node.id;
}

void NodeRegistry::attach_sighting(NodeRecord& node, const NodeEndpoint& endpoint) {
  auto existing =
      std::find_if(node.sightings.begin(), node.sightings.end(),
                   [&](const NodeEndpoint& other) { return other.key == endpoint.key; });
  if (existing == node.sightings.end()) {
    node.sightings.push_back(endpoint);
  } else {
    *existing = endpoint;
  }
  sighting_owner_[endpoint.key] = node.id;
}

std::string NodeRegistry::add_address_sighting(const NodeEndpoint& endpoint) {
  std::string id = provisional_node_id(endpoint.address, endpoint.port);
  if (const auto owner = sighting_owner_.find(endpoint.key); owner != sighting_owner_.end()) {
    id = owner->second;
  }
  auto [it, inserted] = nodes_.try_emplace(id);
  NodeRecord& node = it->second;
  const auto now = now_ms_();
  if (inserted) {
    node.id = id;
    node.provisional = true;
    node.name = endpoint.instance_name;
    node.first_seen_ms = now;
    node.state_since_ms = now;
    node.state_reason = "listed by the " + endpoint.source + " source; not probed yet";
  }
  attach_sighting(node, endpoint);
  node.last_seen_ms = now;
  notify(node, false);
  return id;
}

NodeRecord& NodeRegistry::identify(const std::string& provisional_id, const std::string& node_id) {
  auto provisional = nodes_.extract(provisional_id);
  auto [it, inserted] = nodes_.try_emplace(node_id);
  NodeRecord& node = it->second;
  if (inserted) {
    node = std::move(provisional.mapped());
    node.id = node_id;
    node.provisional = false;
  } else {
    node.first_seen_ms = std::min(node.first_seen_ms, provisional.mapped().first_seen_ms);
    for (const auto& sighting : provisional.mapped().sightings) {
      attach_sighting(node, sighting);
    }
  }
  for (const auto& sighting : node.sightings) {
    sighting_owner_[sighting.key] = node_id;
  }
  return node;
}

std::optional<std::string> NodeRegistry::remove_sighting(const std::string& key) {
  const auto owner = sighting_owner_.find(key);
  if (owner == sighting_owner_.end()) {
    return std::nullopt;
  }
  const std::string id = owner->second;
  sighting_owner_.erase(owner);
  const auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    return std::nullopt;
  }
  NodeRecord& node = it->second;
  const auto withdrawn =
      std::find_if(node.sightings.begin(), node.sightings.end(),
                   [&](const NodeEndpoint& endpoint) { return endpoint.key == key; });
  if (withdrawn != node.sightings.end()) {
    remember_endpoint(node, *withdrawn);
    node.sightings.erase(withdrawn);
  }
  if (node.provisional && node.sightings.empty()) {
    nodes_.erase(it);
    notify_removed(id, "its last sighting was withdrawn");
    return id;
  }
  notify(node, false);
  return id;
}

void NodeRegistry::record_probe_success(const std::string& id, double latency_ms,
                                        nlohmann::json state, const std::string& note) {
  const auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    return;
  }
  const auto identified_as = it->second.provisional ? reported_node_id(state) : std::nullopt;
  NodeRecord& node = identified_as ? identify(id, *identified_as) : it->second;

  // A UUID-keyed node whose address returns another id: the address now belongs to another node.
  if (!node.legacy && !node.provisional && state.is_object() && state.contains("node_id") &&
      state["node_id"].is_string() && state["node_id"].get<std::string>() != node.id) {
    record_probe_failure(id, "address answers as node " + state["node_id"].get<std::string>());
    return;
  }

  const auto now = now_ms_();
  node.consecutive_failures = 0;
  node.last_ok_ms = now;
  node.last_seen_ms = now;
  node.last_latency_ms = latency_ms;
  if (state.is_object() && state.contains("name") && state["name"].is_string()) {
    node.name = state["name"].get<std::string>();
  }
  node.stop_announced = state.is_object() && state.value("stopping", false) == true;
  node.last_state = std::move(state);

  bool changed = false;
  if (node.stop_announced) {
    changed =
        transition(node, NodeState::kGone, "stopped cleanly: the node announced its shutdown");
  } else if (latency_ms > settings_.slow_answer_ms) {
    changed = transition(node, NodeState::kDegraded, "slow answer: " + format_ms(latency_ms));
  } else if (!note.empty()) {
    changed = transition(node, NodeState::kOnline, note);
  } else if (node.provisional) {
    changed = transition(node, NodeState::kOnline,
                         "answering, but GET /state returned no node_id, so the node is known "
                         "only by its address");
  } else if (node.advertised()) {
    changed = transition(node, NodeState::kOnline, "answering");
  } else {
    changed = transition(node, NodeState::kOnline, "answering, but not advertised over mDNS");
  }
  notify(node, changed);
  if (identified_as) {
    notify_removed(id, "identified as node " + node.id);
  }
  if (identified_as && identity_listener_) {
    identity_listener_(id, node.id);
  }
}

void NodeRegistry::record_probe_failure(const std::string& id, const std::string& error) {
  const auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    return;
  }
  NodeRecord& node = it->second;
  const auto now = now_ms_();
  ++node.consecutive_failures;

  bool changed = false;
  if (node.stop_announced) {
    changed = transition(node, NodeState::kGone, "stopped cleanly: no answer after its shutdown");
  } else if (!node.advertised() && node.state != NodeState::kOffline) {
    changed = transition(node, NodeState::kOffline,
                         "advertisement withdrawn without a clean stop and no answer (" + error +
                             "); the node may have crashed");
  } else {
    const auto reference = node.last_ok_ms > 0 ? node.last_ok_ms : node.first_seen_ms;
    const auto silent_for = now - reference;
    if (silent_for >= settings_.offline_after_ms || node.state == NodeState::kOffline) {
      changed = transition(node, NodeState::kOffline,
                           "no answer for " + format_seconds(silent_for) + " (" + error + ")");
    } else {
      changed = transition(node, NodeState::kDegraded, "missed a probe (" + error + ")");
    }
  }
  notify(node, changed);
}

void NodeRegistry::remember_endpoint(NodeRecord& node, NodeEndpoint endpoint) {
  endpoint.source = "last-known";
  endpoint.key = "last-known:" + endpoint.address + ":" + std::to_string(endpoint.port);
  auto& remembered = node.stored_endpoints;
  remembered.erase(
      std::remove_if(remembered.begin(), remembered.end(),
                     [&](const NodeEndpoint& other) { return other.key == endpoint.key; }),
      remembered.end());
  remembered.insert(remembered.begin(), std::move(endpoint));
  if (remembered.size() > kMaxRememberedEndpoints) {
    remembered.resize(kMaxRememberedEndpoints);
  }
}

void NodeRegistry::restore(NodeRecord node) {
  for (const auto& sighting : node.sightings) {
    sighting_owner_[sighting.key] = node.id;
  }
  if (token_check_) {
    node.token_status = token_check_(node);
  }
  node.revision = ++last_revision_;
  const auto id = node.id;
  nodes_[id] = std::move(node);
}

const NodeRecord* NodeRegistry::find(const std::string& id) const {
  const auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::vector<const NodeRecord*> NodeRegistry::nodes() const {
  std::vector<const NodeRecord*> result;
  result.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) {
    result.push_back(&node);
  }
  std::stable_sort(
      result.begin(), result.end(), [](const NodeRecord* left, const NodeRecord* right) {
        return left->name != right->name ? left->name < right->name : left->id < right->id;
      });
  return result;
}

bool NodeRegistry::transition(NodeRecord& node, NodeState next, std::string reason) {
  node.state_reason = std::move(reason);
  if (node.state == next) {
    return false;
  }
  const auto now = now_ms_();
  node.history.push_back({now, node.state, next, node.state_reason});
  while (node.history.size() > kMaxHistory) {
    node.history.pop_front();
  }
  node.state = next;
  node.state_since_ms = now;
  return true;
}

void NodeRegistry::notify(NodeRecord& node, bool state_changed) {
  node.revision = ++last_revision_;
  if (token_check_) {
    node.token_status = token_check_(node);
  }
  for (const auto& listener : listeners_) {
    listener(node, state_changed);
  }
}

void NodeRegistry::notify_removed(const std::string& node_id, const std::string& reason) {
  ++last_revision_;
  for (const auto& listener : removal_listeners_) {
    listener(node_id, reason);
  }
}

}  // namespace winebot::hub

#include "hub/discovery/sighting_set.hpp"

#include "hub/poller/node_poller.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {

SightingSet::SightingSet(NodeRegistry& registry, NodePoller& poller)
    : registry_(registry), poller_(poller) {}

std::string SightingSet::group_of(const NodeEndpoint& endpoint) {
  return endpoint.host_name + ":" + std::to_string(endpoint.port);
}

void SightingSet::apply(const std::vector<NodeEndpoint>& report,
                        const std::set<std::string>& unresolved_groups) {
  std::map<std::string, std::string> next;
  for (const auto& endpoint : report) {
    const bool is_new = !group_by_key_.contains(endpoint.key) && !next.contains(endpoint.key);
    next[endpoint.key] = group_of(endpoint);
    const auto id = registry_.add_address_sighting(endpoint);
    if (is_new) {
      shared::log_info(
          "discovery.sighting",
          {shared::field("source", endpoint.source), shared::field("node", id),
           shared::field("host", endpoint.host_name), shared::field("address", endpoint.address),
           shared::field("port", static_cast<long long>(endpoint.port))});
      poller_.poke(id);
    }
  }

  for (const auto& [key, group] : group_by_key_) {
    if (next.contains(key)) {
      continue;
    }
    if (unresolved_groups.contains(group)) {
      next[key] = group;
      continue;
    }
    if (const auto id = registry_.remove_sighting(key)) {
      shared::log_info("discovery.sighting_removed",
                       {shared::field("node", *id), shared::field("sighting", key)});
      poller_.poke(*id);
    }
  }
  group_by_key_ = std::move(next);
}

}  // namespace winebot::hub

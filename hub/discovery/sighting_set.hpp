#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

class NodePoller;

// The sightings that one address-based source (DNS SRV or the static list) reported last time,
// so that each new report is applied to the registry as a difference. A new sighting is added and
// its node probed at once. A sighting missing from the report is removed and its node probed, so
// the probe decides whether the node is still there. An unchanged sighting is only refreshed.
// Threading: belongs to the io_context thread, like the registry.
class SightingSet {
 public:
  SightingSet(NodeRegistry& registry, NodePoller& poller);

  // Applies a full report. Sightings are grouped by `host_name:port`; old sightings of a group in
  // `unresolved_groups` stay, because a failed lookup proves nothing about that host.
  void apply(const std::vector<NodeEndpoint>& report,
             const std::set<std::string>& unresolved_groups = {});

  // Number of sightings in the last report, with those kept for unresolved groups.
  std::size_t size() const { return group_by_key_.size(); }

  // The group of a sighting: the host name and port it was listed as.
  static std::string group_of(const NodeEndpoint& endpoint);

 private:
  NodeRegistry& registry_;
  NodePoller& poller_;
  std::map<std::string, std::string> group_by_key_;  // Sighting key to its group.
};

}  // namespace winebot::hub

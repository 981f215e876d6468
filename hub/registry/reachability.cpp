#include "hub/registry/reachability.hpp"

#include <algorithm>

namespace winebot::hub {
namespace {

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1";
}

bool is_docker_default_bridge(const std::string& address) {
  return address.rfind("172.17.", 0) == 0;
}

bool is_loopback_interface(const std::string& interface_name) {
  return interface_name == "lo" || interface_name.rfind("lo", 0) == 0;
}

void add_once(std::vector<std::string>& warnings, std::string warning) {
  if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) {
    warnings.push_back(std::move(warning));
  }
}

}  // namespace

std::vector<std::string> reachability_warnings(const NodeRecord& node) {
  std::vector<std::string> warnings;
  for (const auto& sighting : node.sightings) {
    if (is_loopback(sighting.address) && !sighting.interface_name.empty() &&
        !is_loopback_interface(sighting.interface_name)) {
      add_once(warnings, "advertises the loopback address " + sighting.address + " on " +
                             sighting.interface_name +
                             ", which only its own host can reach; let the node listen on a "
                             "routable address or publish it through the host's avahi-daemon");
    }
    if (is_docker_default_bridge(sighting.address)) {
      add_once(warnings, "advertises " + sighting.address +
                             " in Docker's default bridge network, which other hosts cannot "
                             "reach; mount the host's D-Bus socket and set --advertise-port, or "
                             "use host networking");
    }
  }

  const bool silent = node.state == NodeState::kOffline || node.state == NodeState::kDegraded;
  const bool refused = node.state_reason.find("refused") != std::string::npos;
  if (silent && refused && node.advertised()) {
    const auto endpoints = node.probe_order();
    const auto port = endpoints.empty() ? std::string("?") : std::to_string(endpoints.front().port);
    add_once(warnings, "the advertised port " + port +
                           " refuses connections; check that the node's --listen port matches "
                           "what it advertises (--advertise-port behind a published port)");
  }
  return warnings;
}

}  // namespace winebot::hub

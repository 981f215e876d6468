#pragma once

#include <string>
#include <vector>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

// Warnings about how a node was advertised, each naming the likely fix:
// - a loopback address seen on an interface other than loopback: another host published
//   127.0.0.1 or ::1, which only that host can reach;
// - an address in Docker's default bridge network 172.17.0.0/16, which other hosts cannot reach;
// - an advertised port that refuses connections while the node is not answering.
// Pure: reads the node's sightings and state reason only.
std::vector<std::string> reachability_warnings(const NodeRecord& node);

}  // namespace winebot::hub

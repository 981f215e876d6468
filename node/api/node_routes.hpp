#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/http/router.hpp"

namespace winebot::node {

// Facts about the running node that its routes report. Read on the io_context thread.
struct NodeStatus {
  std::string node_id;
  std::string hostname;
  std::uint16_t api_port = 0;
  std::chrono::system_clock::time_point started_at;
  std::chrono::steady_clock::time_point started_steady;
  // The instance name in use, which changes after an mDNS name collision.
  std::function<std::string()> advertised_name;
  std::function<bool()> advertised;
  // True from the stop signal until exit, while the node drains.
  std::function<bool()> stopping;
  // Components that add their own fields to GET /state (session, recorder, logs, ...), called in
  // order on every request.
  std::vector<std::function<void(nlohmann::json& state)>> state_extensions;
};

// Version strings of WineBot's HTTP contract, sent in /version and in the X-WineBot-* headers.
inline constexpr const char* kApiVersion = "1.0.0";
inline constexpr const char* kArtifactSchemaVersion = "1.0";
inline constexpr const char* kEventSchemaVersion = "1.0";

// Adds /version, /health and /state, and the headers every node response carries.
void add_node_routes(shared::Router& router, const NodeStatus& status);

}  // namespace winebot::node

#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "shared/http/router.hpp"

namespace winebot::hub {

class AdminAuth;
class NodeRegistry;
class NodeTokens;

// The node paths the hub forwards to, and the only ones: POST /recording/{action}.
inline constexpr std::array<std::string_view, 4> kRecordingActions = {"start", "pause", "resume",
                                                                      "stop"};
// Maximum start body the hub forwards, because WineBot's start options fit in a few hundred bytes.
inline constexpr std::size_t kMaxStartBodyBytes = 16 * 1024;
// Maximum fleet selector body, with room for kMaxSelectedNodeIds ids of about 40 bytes each.
inline constexpr std::size_t kMaxSelectorBodyBytes = 512 * 1024;
// Maximum node reply size read. An action envelope is well under 4 KiB.
inline constexpr std::size_t kMaxNodeReplyBytes = 256 * 1024;
// Maximum node requests that one fleet action runs at once.
inline constexpr std::size_t kFleetActionConcurrency = 8;

struct ActionSettings {
  // Deadline of one node request: connect, send and receive.
  std::chrono::milliseconds node_timeout{8000};
  std::size_t fleet_concurrency = kFleetActionConcurrency;
};

// Outcome of forwarding one recording action to one node.
struct NodeActionResult {
  std::string node_id;
  // 200 when the node replied with a JSON object, whatever its status. Otherwise 404 (unknown
  // node), 409 (provisional node), 502 (unreachable, or not JSON) or 504 (timed out).
  int hub_status = 200;
  int node_status = 0;      // The node's HTTP status; 0 when no reply arrived.
  nlohmann::json response;  // The node's JSON reply; null when none.
  std::string detail;       // The reason no usable reply arrived; empty when one did.
};

// Sends POST /recording/{action} with `body` to the first endpoint of the node's probe_order,
// with the node's token as X-API-Key when the hub has one, within `settings.node_timeout`.
// `action` must be one of kRecordingActions. Only known, identified nodes are contacted.
// Runs on the registry's executor and never throws for network errors.
boost::asio::awaitable<NodeActionResult> forward_node_action(const NodeRegistry& registry,
                                                             const NodeTokens& tokens,
                                                             std::string node_id,
                                                             std::string action, std::string body,
                                                             ActionSettings settings);

// Adds the action routes, each authorized by `auth` first:
//   POST /api/nodes/{id}/recording/{action}: forwards to one node; the reply is
//     {node_id, action, status_code, response} with the node's status and JSON envelope.
//   POST /api/fleet/recording/{action}: a FleetSelector body; forwards to every selected node,
//     kFleetActionConcurrency at a time; the reply is {action, results: [{node_id, ok,
//     status_code, status, detail}], succeeded, failed}.
// `registry`, `tokens` and `auth` must outlive the router.
void add_action_routes(shared::Router& router, const NodeRegistry& registry,
                       const NodeTokens& tokens, AdminAuth& auth, ActionSettings settings = {});

}  // namespace winebot::hub

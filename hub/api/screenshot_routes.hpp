#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "shared/http/router.hpp"

namespace winebot::hub {

class NodeRegistry;
class NodeTokens;

// Maximum screenshot size the hub reads from a node. A 1920-pixel-wide JPEG of a busy desktop is
// well under 1 MiB.
inline constexpr std::size_t kMaxScreenshotBytes = 4 * 1024 * 1024;

struct ScreenshotProxySettings {
  // Deadline of one node request: connect, send and receive. Longer than the node's own
  // 3-second grab deadline, so that the node's 504 arrives before the hub gives up.
  std::chrono::milliseconds node_timeout{5000};
};

// Fetches GET /screenshot?width=`width` from the first endpoint of the node's probe_order, with
// the node's token as X-API-Key when the hub has one, and turns the reply into the hub's:
//   200 image/jpeg with the node's image;
//   404 unknown node; 409 node not identified yet (as for recording actions);
//   503 with the node's detail when the node has no display or is busy;
//   502 when the node cannot be reached or does not reply within settings.node_timeout;
//   502 also for a reply over kMaxScreenshotBytes, a body that is not a JPEG, or any other
//       status, which the detail names.
// Runs on the registry's executor and never throws for network errors.
boost::asio::awaitable<shared::HttpResponse> fetch_node_screenshot(
    const NodeRegistry& registry, const NodeTokens& tokens, std::string node_id, int width,
    ScreenshotProxySettings settings);

// Adds GET /api/nodes/{id}/screenshot?width=N (a read, open like the other GET routes): checks
// the width as the node does (400 when invalid), then replies as fetch_node_screenshot.
// `registry` and `tokens` must outlive the router.
void add_screenshot_route(shared::Router& router, const NodeRegistry& registry,
                          const NodeTokens& tokens, ScreenshotProxySettings settings = {});

// The /api/nodes/{id}/screenshot entry of the hub's OpenAPI `paths`.
nlohmann::json screenshot_openapi_paths();

}  // namespace winebot::hub

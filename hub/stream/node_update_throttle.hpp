#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

namespace winebot::hub {

// How often one node's refreshes may reach GET /api/stream as `node.update` events.
inline constexpr std::chrono::milliseconds kNodeUpdateInterval{5000};

// Chooses which registry changes become `node.update` events. Every successful probe revises a
// node, so without a limit a fleet of N nodes polled every second fills the 1000-event resume
// ring in 1000/N seconds and floods slow clients. A node's refreshes are therefore published at
// most once per interval; state changes and a node's first appearance always go through. A
// suppressed refresh is not replayed later: the next published one carries the node's whole
// current JSON, so a client's view of a node that is still probed lags by at most the interval.
//
// Threading: not synchronised; it belongs to the io_context thread that runs registry listeners.
class NodeUpdateThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit NodeUpdateThrottle(
      std::chrono::milliseconds interval = kNodeUpdateInterval,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Returns whether a change of `node_id` should be published now, and notes it if so.
  bool allow(const std::string& node_id, bool state_changed);
  // Forgets a node that left the registry.
  void forget(const std::string& node_id) { last_published_.erase(node_id); }

 private:
  std::chrono::milliseconds interval_;
  Clock clock_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_published_;
};

}  // namespace winebot::hub

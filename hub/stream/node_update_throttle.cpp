#include "hub/stream/node_update_throttle.hpp"

namespace winebot::hub {

NodeUpdateThrottle::NodeUpdateThrottle(std::chrono::milliseconds interval, Clock clock)
    : interval_(interval), clock_(std::move(clock)) {}

bool NodeUpdateThrottle::allow(const std::string& node_id, bool state_changed) {
  const auto now = clock_();
  const auto found = last_published_.find(node_id);
  if (!state_changed && found != last_published_.end() && now - found->second < interval_) {
    return false;
  }
  last_published_[node_id] = now;
  return true;
}

}  // namespace winebot::hub

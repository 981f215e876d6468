#include "node/idle/activity_tracker.hpp"

namespace winebot::node {

ActivityTracker::ActivityTracker(TimePoint start)
    : last_activity_(start), last_attributed_(start) {}

void ActivityTracker::record(ActivityOrigin origin, const std::string& source, TimePoint at) {
  if (at > last_activity_) {
    last_activity_ = at;
    last_origin_ = origin;
    last_source_ = source;
  }
  if (origin != ActivityOrigin::kUnknown && at >= last_attributed_) {
    last_attributed_ = at;
    last_actor_ = origin == ActivityOrigin::kUser ? Controller::kUser : Controller::kAgent;
  }
}

Controller ActivityTracker::controller(ControlMode mode) const {
  switch (mode) {
    case ControlMode::kHumanOnly:
      return Controller::kUser;
    case ControlMode::kAgentOnly:
      return Controller::kAgent;
    case ControlMode::kHybrid:
      break;
  }
  return last_actor_;
}

}  // namespace winebot::node

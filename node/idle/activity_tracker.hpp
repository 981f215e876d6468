#pragma once

#include <chrono>
#include <string>

#include "node/idle/activity.hpp"
#include "node/idle/idle_settings.hpp"

namespace winebot::node {

// The newest activity seen from any source, and who acted last. The clock starts at the time
// given to the constructor (the node's start), never at zero, so a recording already running
// when the node starts is not paused at once.
//
// Threading: not synchronised; the idle pauser uses it on the io_context thread only.
class ActivityTracker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ActivityTracker(TimePoint start);

  // Notes activity at `at` from `source` ("x11", "input_log", "api"). An activity older than
  // the newest one seen does not move the clock back, but a user or agent origin still names
  // the controller if it is newer than the last attributed activity.
  void record(ActivityOrigin origin, const std::string& source, TimePoint at);

  TimePoint last_activity() const { return last_activity_; }
  ActivityOrigin last_origin() const { return last_origin_; }
  const std::string& last_source() const { return last_source_; }
  // The controller under `mode`: fixed by human-only and agent-only, else the origin of the
  // newest user or agent activity (kNobody before the first one).
  Controller controller(ControlMode mode) const;

 private:
  TimePoint last_activity_;
  ActivityOrigin last_origin_ = ActivityOrigin::kUnknown;
  std::string last_source_ = "start";
  TimePoint last_attributed_;
  Controller last_actor_ = Controller::kNobody;
};

}  // namespace winebot::node

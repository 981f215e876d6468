#include "node/idle/activity_tracker.hpp"

#include <catch2/catch.hpp>

namespace winebot::node {
namespace {

using namespace std::chrono_literals;

const ActivityTracker::TimePoint kStart{1000h};

TEST_CASE("ActivityTracker clock starts at the node start", "[idle]") {
  const ActivityTracker tracker(kStart);
  CHECK(tracker.last_activity() == kStart);
  CHECK(tracker.last_source() == "start");
  CHECK(tracker.controller(ControlMode::kHybrid) == Controller::kNobody);
}

TEST_CASE("ActivityTracker keeps the newest activity", "[idle]") {
  ActivityTracker tracker(kStart);
  tracker.record(ActivityOrigin::kUnknown, "x11", kStart + 5s);
  tracker.record(ActivityOrigin::kAgent, "api", kStart + 3s);  // older: the clock stays
  CHECK(tracker.last_activity() == kStart + 5s);
  CHECK(tracker.last_source() == "x11");
  CHECK(tracker.last_origin() == ActivityOrigin::kUnknown);

  // An X server reading from before the node started does not move the clock back.
  tracker.record(ActivityOrigin::kUnknown, "x11", kStart - 1h);
  CHECK(tracker.last_activity() == kStart + 5s);
}

TEST_CASE("ActivityTracker hybrid controller is who acted last", "[idle]") {
  ActivityTracker tracker(kStart);
  tracker.record(ActivityOrigin::kUser, "input_log", kStart + 1s);
  CHECK(tracker.controller(ControlMode::kHybrid) == Controller::kUser);
  tracker.record(ActivityOrigin::kAgent, "api", kStart + 2s);
  CHECK(tracker.controller(ControlMode::kHybrid) == Controller::kAgent);
  // Input of unknown origin (the X server) counts as activity but names nobody.
  tracker.record(ActivityOrigin::kUnknown, "x11", kStart + 3s);
  CHECK(tracker.controller(ControlMode::kHybrid) == Controller::kAgent);
  CHECK(tracker.last_activity() == kStart + 3s);
}

TEST_CASE("ActivityTracker fixed modes name their controller", "[idle]") {
  ActivityTracker tracker(kStart);
  tracker.record(ActivityOrigin::kAgent, "api", kStart + 1s);
  CHECK(tracker.controller(ControlMode::kHumanOnly) == Controller::kUser);
  tracker.record(ActivityOrigin::kUser, "api", kStart + 2s);
  CHECK(tracker.controller(ControlMode::kAgentOnly) == Controller::kAgent);
}

}  // namespace
}  // namespace winebot::node

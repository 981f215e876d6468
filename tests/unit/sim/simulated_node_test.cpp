#include "tests/sim/simulated_node.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "shared/util/uuid.hpp"
#include "tests/sim/simulated_fleet.hpp"

namespace winebot::sim {
namespace {

using namespace std::chrono_literals;
using TimePoint = SimulatedNode::TimePoint;

const TimePoint kStart = TimePoint{} + std::chrono::hours(24 * 365 * 56);

SimulatedNode make_node(SimulationSettings settings, std::size_t index = 0) {
  return SimulatedNode({index, stable_node_id(7, index), "sim-node", "sim-host", "run1"}, settings,
                       7, kStart);
}

}  // namespace

TEST_CASE("stable_node_id is a UUID fixed by seed and index", "[sim]") {
  CHECK(shared::is_uuid(stable_node_id(1, 0)));
  CHECK(stable_node_id(1, 0)[14] == '4');
  CHECK(stable_node_id(1, 0) == stable_node_id(1, 0));
  CHECK(stable_node_id(1, 0) != stable_node_id(1, 1));
  CHECK(stable_node_id(1, 0) != stable_node_id(2, 0));
}

TEST_CASE("SimulatedNode writes records near the set rates", "[sim]") {
  SimulationSettings settings;
  settings.lifecycle_per_minute = 6;
  settings.telemetry_per_minute = 60;
  settings.input_per_minute = 30;
  auto node = make_node(settings);
  node.advance(kStart + 100min);
  // Poisson counts with means 600, 6000 and 3000: the bounds are more than 8 standard deviations
  // wide.
  CHECK(node.lifecycle().appended() > 400);
  CHECK(node.lifecycle().appended() < 800);
  CHECK(node.telemetry().appended() > 5400);
  CHECK(node.telemetry().appended() < 6600);
  CHECK(node.input().appended() > 2500);
  CHECK(node.input().appended() < 3500);
}

TEST_CASE("SimulatedNode with zero rates stays still", "[sim]") {
  SimulationSettings settings;
  settings.lifecycle_per_minute = 0;
  settings.telemetry_per_minute = 0;
  auto node = make_node(settings);
  const auto first_state = node.recorder_state();
  node.advance(kStart + 60min);
  CHECK(node.lifecycle().appended() == 0);
  CHECK(node.telemetry().appended() == 0);
  CHECK(node.recorder_state() == first_state);
}

TEST_CASE("SimulatedNode recorder visits every state", "[sim]") {
  SimulationSettings settings;
  settings.lifecycle_per_minute = 60;
  auto node = make_node(settings);
  std::set<std::string> states;
  std::set<std::string> kinds;
  for (int minute = 1; minute <= 30; ++minute) {
    node.advance(kStart + std::chrono::minutes(minute));
    states.insert(to_string(node.recorder_state()));
  }
  for (const auto& record : node.lifecycle().newest(1000)) {
    kinds.insert(record["kind"].get<std::string>());
    CHECK(record["timestamp_epoch_ms"].is_number_integer());
    CHECK(record["session_id"].is_string());
  }
  CHECK(states == std::set<std::string>{"idle", "paused", "recording"});
  CHECK(kinds == std::set<std::string>{"auto_pause", "auto_resume", "recording_paused",
                                       "recording_resumed", "recording_started",
                                       "recording_stopped"});
}

TEST_CASE("SimulatedNode state carries the idle object", "[sim]") {
  SimulationSettings settings;
  settings.lifecycle_per_minute = 30;
  auto node = make_node(settings, 3);
  node.advance(kStart + 10min);
  const auto state = node.state_json(kStart + 10min);
  CHECK(state["node_id"] == stable_node_id(7, 3));
  CHECK(state["recorder"]["state"] == to_string(node.recorder_state()));
  const auto& idle = state["idle"];
  for (const char* key :
       {"idle_seconds", "paused_by_inactivity_seconds", "idle_threshold_seconds"}) {
    INFO(key);
    CHECK(idle[key].is_number());
    CHECK(idle[key].get<double>() >= 0);
  }
  CHECK(idle["auto_pauses"].is_number_unsigned());
  CHECK(idle["auto_resumes"].is_number_unsigned());
  CHECK(idle["auto_pauses"].get<int>() > 0);
  CHECK((idle["controller"] == "agent" || idle["controller"] == "user"));
  const auto later = node.state_json(kStart + 11min);
  CHECK(later["idle"]["paused_by_inactivity_seconds"].get<double>() >=
        idle["paused_by_inactivity_seconds"].get<double>());
}

TEST_CASE("SimulatedNode telemetry records carry metric and value_ms", "[sim]") {
  SimulationSettings settings;
  settings.telemetry_per_minute = 600;
  auto node = make_node(settings);
  node.advance(kStart + 1min);
  const auto records = node.telemetry().newest(1000);
  REQUIRE(records.size() > 100);
  std::set<std::string> metrics;
  for (const auto& record : records) {
    CHECK(record["event"] == "performance_metric");
    CHECK(record["value_ms"].is_number());
    CHECK(record["value_ms"].get<double>() >= 0);
    metrics.insert(record["metric"].get<std::string>());
  }
  CHECK(metrics.count("inactivity.monitor_sample") == 1);
  CHECK(metrics.count("recording.api_start.latency") == 1);
}

TEST_CASE("SimulatedNode metrics page has the recorder and idle families", "[sim]") {
  auto node = make_node({});
  node.advance(kStart + 5min);
  const auto text = node.metrics_text(kStart + 5min);
  for (const char* family :
       {"# TYPE winebot_recorder_frames_total counter", "# TYPE winebot_recorder_state gauge",
        "# TYPE winebot_idle_auto_pauses_total counter", "# TYPE winebot_idle_seconds gauge",
        "winebot_recorder_state{state=\"recording\"}"}) {
    INFO(family);
    CHECK_THAT(text, Catch::Contains(family));
  }
}

}  // namespace winebot::sim

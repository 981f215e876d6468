#include "hub/store/state_samples.hpp"

#include <catch2/catch.hpp>

#include "hub/registry/node_registry.hpp"
#include "hub/store/fleet_summary.hpp"
#include "hub/store/node_store.hpp"
#include "shared/sqlite/database.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace winebot::hub {
namespace {

using namespace std::chrono_literals;

NodeRecord answering_node(const std::string& recorder_state) {
  NodeRecord node;
  node.id = "node-a";
  node.state = NodeState::kOnline;
  node.last_latency_ms = 2.5;
  node.last_state = {{"recorder", {{"state", recorder_state}}},
                     {"idle",
                      {{"idle_seconds", 12.5},
                       {"controller", "agent"},
                       {"auto_pauses", 3},
                       {"auto_resumes", 2},
                       {"paused_by_inactivity_seconds", 40.0}}}};
  return node;
}

TEST_CASE("make_state_sample reads the node's figures", "[store][samples]") {
  const auto sample = make_state_sample(answering_node("paused"), 1000);
  CHECK(sample.node_id == "node-a");
  CHECK(sample.at_ms == 1000);
  CHECK(sample.state == "online");
  CHECK(sample.recorder_state == "paused");
  CHECK(sample.idle_seconds == 12.5);
  CHECK(sample.controller == "agent");
  CHECK(sample.latency_ms == 2.5);
  CHECK(sample.auto_pauses == 3);
  CHECK(sample.auto_resumes == 2);
  CHECK(sample.paused_by_inactivity_seconds == 40.0);
}

TEST_CASE("make_state_sample leaves figures out after a failed probe", "[store][samples]") {
  auto node = answering_node("recording");
  node.state = NodeState::kOffline;
  node.consecutive_failures = 3;
  const auto sample = make_state_sample(node, 1000);
  CHECK(sample.state == "offline");
  CHECK_FALSE(sample.idle_seconds.has_value());
  CHECK_FALSE(sample.latency_ms.has_value());
  CHECK_FALSE(sample.auto_pauses.has_value());
}

TEST_CASE("StateSampler samples on interval and on change", "[store][samples]") {
  StateSampler sampler(10s);
  auto node = answering_node("recording");
  CHECK(sampler.on_change(node, 1000).has_value());  // The first sight of a node.
  CHECK_FALSE(sampler.on_change(node, 2000).has_value());
  CHECK_FALSE(sampler.on_change(node, 10'999).has_value());
  CHECK(sampler.on_change(node, 11'000).has_value());

  node.last_state["recorder"]["state"] = "paused";
  const auto changed = sampler.on_change(node, 11'500);
  REQUIRE(changed.has_value());
  CHECK(changed->recorder_state == "paused");

  node.state = NodeState::kDegraded;
  CHECK(sampler.on_change(node, 11'600).has_value());
}

TEST_CASE("StateSampler keeps sample times unique", "[store][samples]") {
  StateSampler sampler(10s);
  auto node = answering_node("recording");
  REQUIRE(sampler.on_change(node, 5000));
  node.state = NodeState::kDegraded;
  const auto same_millisecond = sampler.on_change(node, 5000);
  REQUIRE(same_millisecond.has_value());
  CHECK(same_millisecond->at_ms == 5001);
}

TEST_CASE("NodeStore stores samples and reads them back", "[store][samples]") {
  test::TempFolder folder;
  const auto path = folder.file("hub.db");
  {
    NodeStore store(path);
    store.start();
    for (int index = 0; index < 5; ++index) {
      store.add_sample(make_state_sample(answering_node("recording"), 1000 + index * 1000));
    }
    auto offline = answering_node("recording");
    offline.state = NodeState::kOffline;
    offline.consecutive_failures = 1;
    store.add_sample(make_state_sample(offline, 6000));
    store.flush();
    CHECK(store.stored_samples() == 6);
  }
  shared::Database database(path, true);
  const auto newest = read_state_samples(database, "node-a", 0, INT64_MAX, 3);
  REQUIRE(newest.size() == 3);
  CHECK(newest[0].at_ms == 4000);  // Oldest first among the newest three.
  CHECK(newest[2].at_ms == 6000);
  CHECK(newest[2].state == "offline");
  CHECK_FALSE(newest[2].controller.has_value());
  CHECK(newest[1].controller == "agent");
  CHECK(newest[1].paused_by_inactivity_seconds == 40.0);

  const auto window = read_state_samples(database, "node-a", 2000, 3000, 100);
  CHECK(window.size() == 2);
  CHECK(read_state_samples(database, "other", 0, INT64_MAX, 100).empty());
  int fleet_samples = 0;
  for_each_fleet_sample(database, 0, INT64_MAX, [&fleet_samples](StateSample) { ++fleet_samples; });
  CHECK(fleet_samples == 6);
}

StateSample summary_sample(const std::string& node, std::int64_t at_ms, const std::string& state,
                           const std::string& recorder, std::int64_t auto_pauses,
                           double paused_by_inactivity) {
  StateSample sample;
  sample.node_id = node;
  sample.at_ms = at_ms;
  sample.state = state;
  sample.recorder_state = recorder;
  sample.auto_pauses = auto_pauses;
  sample.auto_resumes = auto_pauses;
  sample.paused_by_inactivity_seconds = paused_by_inactivity;
  return sample;
}

FleetTimeTotals summarize(const std::vector<StateSample>& samples, std::int64_t until_ms,
                          std::int64_t max_gap_ms) {
  FleetSummaryAccumulator accumulator(until_ms, max_gap_ms);
  for (const auto& sample : samples) {
    accumulator.add(sample);
  }
  return accumulator.finish();
}

TEST_CASE("Fleet summary splits recording and paused time", "[store][summary]") {
  const std::vector<StateSample> samples = {
      summary_sample("a", 0, "online", "recording", 0, 0),
      summary_sample("a", 10'000, "online", "paused", 1, 0),
      summary_sample("a", 20'000, "online", "paused", 1, 6),
      summary_sample("a", 30'000, "online", "recording", 1, 10),
      summary_sample("b", 0, "online", "recording", 5, 100),
      summary_sample("b", 10'000, "offline", "recording", 5, 100),
  };
  const auto totals = summarize(samples, 40'000, 30'000);
  CHECK(totals.seconds_by_recorder_state.at("recording") == Approx(10 + 10 + 10));
  CHECK(totals.paused_seconds == Approx(20));
  CHECK(totals.paused_inactivity_seconds == Approx(10));
  CHECK(totals.paused_manual_seconds == Approx(10));
  CHECK(totals.auto_pauses == 1);
  CHECK(totals.auto_resumes == 1);
}

TEST_CASE("Fleet summary caps gaps, counts restarts", "[store][summary]") {
  const std::vector<StateSample> samples = {
      summary_sample("a", 0, "online", "recording", 7, 50),
      // The node restarted: its counters start again from zero.
      summary_sample("a", 100'000, "online", "recording", 2, 1),
  };
  const auto totals = summarize(samples, 100'000, 30'000);
  CHECK(totals.seconds_by_recorder_state.at("recording") == Approx(30));
  CHECK(totals.auto_pauses == 2);
  CHECK(totals.paused_inactivity_seconds == 0);  // Never more than the time seen paused.
}

}  // namespace
}  // namespace winebot::hub

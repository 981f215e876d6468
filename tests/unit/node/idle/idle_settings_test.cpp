#include "node/idle/idle_settings.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace winebot::node {
namespace {

using namespace std::chrono_literals;
using Environment = std::map<std::string, std::string>;

IdleSettings load(const Environment& variables) {
  return load_idle_settings([&variables](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
  });
}

TEST_CASE("IdleSettings defaults match WineBot", "[idle]") {
  const auto settings = load({});
  CHECK(settings.pause_after == 180s);
  CHECK(settings.pause_after_human == 180s);
  CHECK(settings.pause_after_agent == 180s);
  CHECK(settings.resume_window == 10s);
  CHECK(settings.min_pause == 15s);
  CHECK(settings.resume_cooldown == 10s);
  CHECK(settings.sample_period == 30s);
  CHECK(settings.x_idle_interval == 1s);
  CHECK(settings.default_mode == ControlMode::kAgentOnly);
}

TEST_CASE("IdleSettings overrides default to the base value", "[idle]") {
  const auto settings = load({{"WINEBOT_INACTIVITY_PAUSE_SECONDS", "90"},
                              {"WINEBOT_INACTIVITY_PAUSE_SECONDS_HUMAN", " 240 "}});
  CHECK(settings.pause_after == 90s);
  CHECK(settings.pause_after_human == 240s);
  CHECK(settings.pause_after_agent == 90s);
}

TEST_CASE("IdleSettings raises values to their minimum", "[idle]") {
  const auto settings = load({{"WINEBOT_INACTIVITY_PAUSE_SECONDS", "-5"},
                              {"WINEBOT_INACTIVITY_RESUME_ACTIVITY_SECONDS", "0"},
                              {"WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS", "-1"},
                              {"WINEBOT_INACTIVITY_RESUME_COOLDOWN_SECONDS", "-1"},
                              {"WINEBOT_PERF_METRICS_SAMPLE_SECONDS", "1"}});
  CHECK(settings.pause_after == 0s);
  CHECK(settings.resume_window == 1s);
  CHECK(settings.min_pause == 0s);
  CHECK(settings.resume_cooldown == 0s);
  CHECK(settings.sample_period == 5s);
}

TEST_CASE("IdleSettings blank value means the default", "[idle]") {
  CHECK(load({{"WINEBOT_INACTIVITY_PAUSE_SECONDS", "  "}}).pause_after == 180s);
}

TEST_CASE("IdleSettings rejects a value that is not whole seconds", "[idle]") {
  CHECK_THROWS_WITH(
      load({{"WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS", "1.5"}}),
      Catch::Contains("WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS") && Catch::Contains("'1.5'"));
  CHECK_THROWS_AS(load({{"WINEBOT_INACTIVITY_PAUSE_SECONDS", "soon"}}), shared::ConfigError);
}

TEST_CASE("IdleSettings rejects durations over a year", "[idle]") {
  CHECK(load({{"WINEBOT_INACTIVITY_PAUSE_SECONDS", "31536000"}}).pause_after == 31536000s);
  for (const char* value : {"31536001", "10000000000", "99999999999999999999"}) {
    CHECK_THROWS_WITH(load({{"WINEBOT_PERF_METRICS_SAMPLE_SECONDS", value}}),
                      Catch::Contains("at most 31536000") && Catch::Contains(value));
  }
}

TEST_CASE("IdleSettings control mode comes from the environment", "[idle]") {
  CHECK(load({{"MODE", "headless"}}).default_mode == ControlMode::kAgentOnly);
  CHECK(load({{"MODE", "interactive"}}).default_mode == ControlMode::kHybrid);
  CHECK(load({{"MODE", "interactive"}, {"WINEBOT_INSTANCE_CONTROL_MODE", "human-only"}})
            .default_mode == ControlMode::kHumanOnly);
  CHECK_THROWS_WITH(
      load({{"WINEBOT_INSTANCE_CONTROL_MODE", "robots"}}),
      Catch::Contains("human-only, agent-only, hybrid") && Catch::Contains("'robots'"));
}

TEST_CASE("ControlMode names round-trip", "[idle]") {
  for (const auto mode : {ControlMode::kHumanOnly, ControlMode::kAgentOnly, ControlMode::kHybrid}) {
    CHECK(parse_control_mode(to_string(mode)) == mode);
  }
  CHECK_FALSE(parse_control_mode("Hybrid"));
  CHECK_FALSE(parse_control_mode(""));
}

}  // namespace
}  // namespace winebot::node

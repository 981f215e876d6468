#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "shared/config/option_parser.hpp"

namespace winebot::node {

// WineBot's control modes: the parties that may control the session. In kHybrid the controller
// is the party that acted last.
enum class ControlMode { kHumanOnly, kAgentOnly, kHybrid };

// Returns "human-only", "agent-only" or "hybrid".
const char* to_string(ControlMode mode);
// Parses the three names above (exact, lower case); anything else is nullopt.
std::optional<ControlMode> parse_control_mode(std::string_view text);

// The idle pauser's settings, from WineBot's inactivity variables.
struct IdleSettings {
  // Idle time after which a recording is paused, by controller. Zero disables the pauser while
  // that controller is in charge (all three zero: never).
  std::chrono::milliseconds pause_after{std::chrono::seconds(180)};
  std::chrono::milliseconds pause_after_human{std::chrono::seconds(180)};
  std::chrono::milliseconds pause_after_agent{std::chrono::seconds(180)};
  // An automatic resume needs activity at most this old...
  std::chrono::milliseconds resume_window{std::chrono::seconds(10)};
  // ...at least this long in the paused state...
  std::chrono::milliseconds min_pause{std::chrono::seconds(15)};
  // ...and at least this long since the last automatic pause.
  std::chrono::milliseconds resume_cooldown{std::chrono::seconds(10)};
  // Period of the inactivity.monitor_sample metric.
  std::chrono::milliseconds sample_period{std::chrono::seconds(30)};
  // Period of the X server idle-time reading.
  std::chrono::milliseconds x_idle_interval{std::chrono::seconds(1)};
  ControlMode default_mode = ControlMode::kAgentOnly;
};

// Reads the settings from the environment:
//   WINEBOT_INACTIVITY_PAUSE_SECONDS (180; below 0 reads as 0, which disables the pauser),
//   WINEBOT_INACTIVITY_PAUSE_SECONDS_HUMAN and _AGENT (default: the base value; minimum 0),
//   WINEBOT_INACTIVITY_RESUME_ACTIVITY_SECONDS (10, minimum 1),
//   WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS (15, minimum 0),
//   WINEBOT_INACTIVITY_RESUME_COOLDOWN_SECONDS (10, minimum 0),
//   WINEBOT_PERF_METRICS_SAMPLE_SECONDS (30, minimum 5),
//   WINEBOT_INSTANCE_CONTROL_MODE (human-only, agent-only or hybrid; default agent-only when
//   MODE is unset or "headless", else hybrid).
// Values below a minimum are raised to it, as WineBot does. Unlike WineBot, which falls back
// to the default, a value that is not a whole number, is above one year (31536000 s), or is not
// a mode name throws shared::ConfigError naming the variable, so a typo stops the node at
// start-up.
IdleSettings load_idle_settings(const shared::EnvLookup& env);

}  // namespace winebot::node

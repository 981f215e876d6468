#include "node/idle/idle_settings.hpp"

#include <algorithm>

namespace winebot::node {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Longest accepted duration: one year. Longer ones overflow the steady clock's arithmetic
// once converted to nanoseconds and added to a time point.
constexpr long long kMaxSeconds = 365LL * 24 * 3600;

// Whole seconds from `name`, raised to `minimum`; `fallback` when unset or blank.
milliseconds seconds_of(const shared::EnvLookup& env, const std::string& name,
                        milliseconds fallback, long long minimum) {
  const auto value = shared::environment_value(env, name);
  if (!value) {
    return fallback;
  }
  const auto parsed = shared::parse_integer(*value);
  if (!parsed || *parsed > kMaxSeconds) {
    throw shared::ConfigError("Configuration validation failed: " + name +
                              " must be a whole number of seconds, at most " +
                              std::to_string(kMaxSeconds) + " (got '" + *value + "')");
  }
  return seconds(std::max(*parsed, minimum));
}

ControlMode default_control_mode(const shared::EnvLookup& env) {
  const auto value = shared::environment_value(env, "WINEBOT_INSTANCE_CONTROL_MODE");
  if (value) {
    const auto mode = parse_control_mode(*value);
    if (!mode) {
      throw shared::ConfigError(
          "Configuration validation failed: WINEBOT_INSTANCE_CONTROL_MODE must be one of "
          "human-only, agent-only, hybrid (got '" +
          *value + "')");
    }
    return *mode;
  }
  // WineBot: a headless instance (the default MODE) is driven by agents.
  const auto mode = shared::environment_value(env, "MODE").value_or("headless");
  return mode == "headless" ? ControlMode::kAgentOnly : ControlMode::kHybrid;
}

}  // namespace

const char* to_string(ControlMode mode) {
  switch (mode) {
    case ControlMode::kHumanOnly:
      return "human-only";
    case ControlMode::kAgentOnly:
      return "agent-only";
    case ControlMode::kHybrid:
      break;
  }
  return "hybrid";
}

std::optional<ControlMode> parse_control_mode(std::string_view text) {
  for (const auto mode : {ControlMode::kHumanOnly, ControlMode::kAgentOnly, ControlMode::kHybrid}) {
    if (text == to_string(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

IdleSettings load_idle_settings(const shared::EnvLookup& env) {
  IdleSettings settings;
  settings.pause_after =
      seconds_of(env, "WINEBOT_INACTIVITY_PAUSE_SECONDS", settings.pause_after, 0);
  settings.pause_after_human =
      seconds_of(env, "WINEBOT_INACTIVITY_PAUSE_SECONDS_HUMAN", settings.pause_after, 0);
  settings.pause_after_agent =
      seconds_of(env, "WINEBOT_INACTIVITY_PAUSE_SECONDS_AGENT", settings.pause_after, 0);
  settings.resume_window =
      seconds_of(env, "WINEBOT_INACTIVITY_RESUME_ACTIVITY_SECONDS", settings.resume_window, 1);
  settings.min_pause =
      seconds_of(env, "WINEBOT_INACTIVITY_MIN_PAUSE_SECONDS", settings.min_pause, 0);
  settings.resume_cooldown =
      seconds_of(env, "WINEBOT_INACTIVITY_RESUME_COOLDOWN_SECONDS", settings.resume_cooldown, 0);
  settings.sample_period =
      seconds_of(env, "WINEBOT_PERF_METRICS_SAMPLE_SECONDS", settings.sample_period, 5);
  settings.default_mode = default_control_mode(env);
  return settings;
}

}  // namespace winebot::node

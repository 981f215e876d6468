#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "shared/config/option_parser.hpp"

namespace winebot::node {

// Telemetry configuration from WineBot's environment variables, read once at start-up.
struct TelemetrySettings {
  bool enabled = true;                       // WINEBOT_TELEMETRY, else WINEBOT_PERF_METRICS.
  std::set<std::string> features;            // WINEBOT_TELEMETRY_FEATURES; empty allows all.
  std::set<std::string> capabilities;        // WINEBOT_TELEMETRY_CAPABILITIES; empty allows all.
  std::set<std::string> feature_sets;        // WINEBOT_TELEMETRY_FEATURE_SETS; empty allows all.
  double sample_rate = 1.0;                  // WINEBOT_TELEMETRY_SAMPLE_RATE, from 0 to 1.
  std::int64_t max_events_per_minute = 600;  // WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN, at least 1.
  std::string level = "standard";            // WINEBOT_TELEMETRY_LEVEL, copied into records.
  std::string git_sha;                       // VCS_REF.
  std::string build_intent;                  // BUILD_INTENT.
  std::string runtime_mode;                  // MODE.
  std::uint64_t max_log_bytes = 500ULL * 1024 * 1024;  // WINEBOT_MAX_LOG_SIZE_MB.
};

// Reads the variables strictly: an unparsable value throws shared::ConfigError naming the
// variable, as WineBot's start-up check does ("WINEBOT_TELEMETRY must be a boolean"). Empty or
// unset means the default. Booleans accept 1/0, true/false, yes/no and on/off in any case.
TelemetrySettings read_telemetry_settings(const shared::EnvLookup& env);

// Parses WineBot's boolean spellings; nullopt for anything else.
std::optional<bool> parse_boolean(const std::string& text);

}  // namespace winebot::node

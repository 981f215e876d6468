#include "node/telemetry/telemetry_settings.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace winebot::node {
namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<std::string> non_empty(const shared::EnvLookup& env, const std::string& name) {
  auto value = env(name);
  if (!value || trim(*value).empty()) {
    return std::nullopt;
  }
  return trim(*value);
}

[[noreturn]] void reject(const std::string& name, const std::string& expected,
                         const std::string& value) {
  throw shared::ConfigError("Configuration validation failed: " + name + " must be " + expected +
                            " (got '" + value + "')");
}

bool read_boolean(const shared::EnvLookup& env, const std::string& name, bool fallback) {
  const auto value = non_empty(env, name);
  if (!value) {
    return fallback;
  }
  const auto parsed = parse_boolean(*value);
  if (!parsed) {
    reject(name, "a boolean", *value);
  }
  return *parsed;
}

std::set<std::string> read_list(const shared::EnvLookup& env, const std::string& name) {
  std::set<std::string> items;
  const auto value = env(name);
  if (!value) {
    return items;
  }
  std::stringstream stream(*value);
  std::string item;
  while (std::getline(stream, item, ',')) {
    item = trim(item);
    if (!item.empty()) {
      items.insert(item);
    }
  }
  return items;
}

}  // namespace

std::optional<bool> parse_boolean(const std::string& text) {
  std::string lower = trim(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") {
    return true;
  }
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") {
    return false;
  }
  return std::nullopt;
}

TelemetrySettings read_telemetry_settings(const shared::EnvLookup& env) {
  TelemetrySettings settings;

  // WINEBOT_TELEMETRY alone decides when set; otherwise the legacy switch does.
  if (non_empty(env, "WINEBOT_TELEMETRY")) {
    settings.enabled = read_boolean(env, "WINEBOT_TELEMETRY", true);
  } else {
    settings.enabled = read_boolean(env, "WINEBOT_PERF_METRICS", true);
  }
  settings.features = read_list(env, "WINEBOT_TELEMETRY_FEATURES");
  settings.capabilities = read_list(env, "WINEBOT_TELEMETRY_CAPABILITIES");
  settings.feature_sets = read_list(env, "WINEBOT_TELEMETRY_FEATURE_SETS");

  if (const auto rate = non_empty(env, "WINEBOT_TELEMETRY_SAMPLE_RATE")) {
    char* end = nullptr;
    errno = 0;
    const double parsed = std::strtod(rate->c_str(), &end);
    if (end != rate->c_str() + rate->size() || errno == ERANGE || std::isnan(parsed)) {
      reject("WINEBOT_TELEMETRY_SAMPLE_RATE", "a number", *rate);
    }
    settings.sample_rate = std::clamp(parsed, 0.0, 1.0);  // As WineBot does: clamped, not refused.
  }

  if (const auto cap = non_empty(env, "WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN")) {
    const auto parsed = shared::parse_integer(*cap);
    if (!parsed) {
      reject("WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN", "an integer", *cap);
    }
    settings.max_events_per_minute = std::max<std::int64_t>(1, *parsed);
  }

  if (const auto megabytes = non_empty(env, "WINEBOT_MAX_LOG_SIZE_MB")) {
    const auto parsed = shared::parse_integer(*megabytes);
    if (!parsed || *parsed < 1) {
      reject("WINEBOT_MAX_LOG_SIZE_MB", "an integer of at least 1", *megabytes);
    }
    settings.max_log_bytes = static_cast<std::uint64_t>(*parsed) * 1024 * 1024;
  }

  settings.level = non_empty(env, "WINEBOT_TELEMETRY_LEVEL").value_or("standard");
  settings.git_sha = env("VCS_REF").value_or("");
  settings.build_intent = env("BUILD_INTENT").value_or("");
  settings.runtime_mode = env("MODE").value_or("");
  return settings;
}

}  // namespace winebot::node

#include "node/recorder/recorder_settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace winebot::node {
namespace {

using shared::ConfigError;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return "";
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  return text;
}

[[noreturn]] void reject(const std::string& name, const std::string& must_be,
                         const std::string& value) {
  throw ConfigError("Configuration validation failed: " + name + " must be " + must_be + " (got '" +
                    value + "')");
}

long long integer_of(const shared::EnvLookup& env, const std::string& name, long long fallback) {
  const auto value = shared::environment_value(env, name);
  if (!value) {
    return fallback;
  }
  const auto parsed = shared::parse_integer(*value);
  if (!parsed) {
    reject(name, "an integer", *value);
  }
  return *parsed;
}

bool boolean_of(const shared::EnvLookup& env, const std::string& name, bool fallback) {
  const auto value = shared::environment_value(env, name);
  if (!value) {
    return fallback;
  }
  const auto text = lower(*value);
  if (text == "1" || text == "true" || text == "yes" || text == "on") {
    return true;
  }
  if (text == "0" || text == "false" || text == "no" || text == "off") {
    return false;
  }
  reject(name, "a boolean", *value);
}

std::string choice_of(const shared::EnvLookup& env, const std::string& name,
                      const std::vector<std::string>& choices, const std::string& fallback) {
  const auto value = shared::environment_value(env, name);
  if (!value) {
    return fallback;
  }
  if (std::find(choices.begin(), choices.end(), *value) == choices.end()) {
    std::string listed;
    for (const auto& choice : choices) {
      listed += listed.empty() ? choice : ", " + choice;
    }
    reject(name, "one of " + listed, *value);
  }
  return *value;
}

std::chrono::milliseconds seconds(long long count) {
  return std::chrono::seconds(count);
}

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto field = lower(trim(text.substr(start, comma - start)));
    if (!field.empty()) {
      fields.push_back(field);
    }
    start = comma + 1;
  }
  return fields;
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("localhost");
}

EncoderSettings load_encoder(const shared::EnvLookup& env) {
  EncoderSettings encoder;
  encoder.preset = choice_of(env, "RECORDER_PRESET",
                             {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
                              "slow", "slower", "veryslow", "placebo"},
                             encoder.preset);
  const auto crf = integer_of(env, "RECORDER_CRF", encoder.crf);
  if (crf < 0 || crf > 51) {
    reject("RECORDER_CRF", "an integer from 0 to 51", std::to_string(crf));
  }
  encoder.crf = static_cast<int>(crf);
  encoder.pixel_format = choice_of(env, "RECORDER_PIX_FMT",
                                   {"yuv420p", "yuv422p", "yuv444p", "nv12"}, encoder.pixel_format);
  return encoder;
}

// The stop knobs derive from WINEBOT_TIMEOUT_RECORDING_STOP_SECONDS and are clamped the way
// WineBot clamps them.
void load_timeouts(const shared::EnvLookup& env, RecorderSettings& settings) {
  const auto stop = std::max(1LL, integer_of(env, "WINEBOT_TIMEOUT_RECORDING_STOP_SECONDS", 20));
  const auto command =
      integer_of(env, "WINEBOT_TIMEOUT_RECORDING_STOP_COMMAND_SECONDS", std::min(8LL, stop));
  settings.stop_command_timeout = seconds(std::clamp(command, 1LL, stop));
  const auto sync = integer_of(env, "WINEBOT_RECORDING_STOP_SYNC_WAIT_SECONDS", 3);
  settings.stop_sync_wait = seconds(std::clamp(sync, 1LL, stop));

  // WineBot waits up to twice 2 s for a pause or resume to show. The capture thread applies
  // either within one frame interval, so 2 s is already generous.
  const auto control = integer_of(env, "WINEBOT_TIMEOUT_RECORDING_CONTROL_SECONDS", 15);
  settings.control_wait = seconds(std::clamp(control, 1LL, 2LL));

  // WineBot clamps these to at least 5 s and 1 s, which contradicts its own test. The node
  // honours the configured values down to 1 s and 0 s.
  settings.heartbeat_stale =
      seconds(std::max(1LL, integer_of(env, "WINEBOT_RECORDER_HEARTBEAT_STALE_SECONDS", 30)));
  settings.heartbeat_grace =
      seconds(std::max(0LL, integer_of(env, "WINEBOT_RECORDER_HEARTBEAT_GRACE_SECONDS", 15)));
}

InputTraceSettings load_input_traces(const shared::EnvLookup& env) {
  InputTraceSettings traces;
  traces.record = env("WINEBOT_INPUT_TRACE_RECORD").value_or("") == "1";
  traces.include = boolean_of(env, "WINEBOT_RECORDING_INCLUDE_INPUT_TRACES", true);
  traces.redact = boolean_of(env, "WINEBOT_RECORDING_REDACT_SENSITIVE", true);
  if (const auto fields = env("WINEBOT_RECORDING_REDACT_FIELDS");
      fields && !trim(*fields).empty()) {
    traces.redact_fields = split_fields(*fields);
  }
  traces.max_events = integer_of(env, "WINEBOT_RECORD_INPUT_MAX_EVENTS", traces.max_events);
  const auto megabytes = integer_of(env, "WINEBOT_MAX_TRACE_LOAD_MB", 100);
  traces.max_load_bytes = static_cast<std::uint64_t>(std::max(0LL, megabytes)) << 20;
  return traces;
}

}  // namespace

std::optional<Resolution> parse_resolution(const std::string& text) {
  const auto first_x = text.find('x');
  if (first_x == std::string::npos) {
    return std::nullopt;
  }
  const auto second_x = text.find('x', first_x + 1);
  const auto width = shared::parse_integer(text.substr(0, first_x));
  const auto height = shared::parse_integer(text.substr(first_x + 1, second_x - first_x - 1));
  if (second_x != std::string::npos && !shared::parse_integer(text.substr(second_x + 1))) {
    return std::nullopt;
  }
  constexpr long long kMinSide = 2;
  constexpr long long kMaxSide = 16384;
  if (!width || !height || *width < kMinSide || *height < kMinSide || *width > kMaxSide ||
      *height > kMaxSide) {
    return std::nullopt;
  }
  return Resolution{static_cast<int>(*width), static_cast<int>(*height)};
}

RecorderSettings load_recorder_settings(const shared::EnvLookup& env) {
  RecorderSettings settings;
  settings.encoder = load_encoder(env);
  settings.session_mode =
      choice_of(env, "WINEBOT_SESSION_MODE", {"persistent", "oneshot"}, settings.session_mode);
  // WineBot writes unknown control modes as hybrid rather than refusing them.
  const auto control =
      lower(shared::environment_value(env, "WINEBOT_SESSION_CONTROL_MODE").value_or("hybrid"));
  settings.control_mode =
      control == "human-only" || control == "agent-only" ? control : std::string("hybrid");
  load_timeouts(env, settings);

  settings.retention.max_segments = integer_of(env, "WINEBOT_RECORDING_RETENTION_MAX_SEGMENTS", 0);
  settings.retention.max_age_days = integer_of(env, "WINEBOT_RECORDING_RETENTION_MAX_AGE_DAYS", 0);
  settings.retention.max_bytes = integer_of(env, "WINEBOT_RECORDING_RETENTION_MAX_BYTES", 0);
  settings.input_traces = load_input_traces(env);
  settings.git_sha = shared::environment_value(env, "GIT_SHA").value_or("");
  if (const auto pointer = shared::environment_value(env, "WINEBOT_SESSION_POINTER_FILE")) {
    settings.pointer_file = *pointer;
  }
  settings.hostname = host_name();
  return settings;
}

RecorderSettings load_recorder_settings(const shared::EnvLookup& env, const NodeOptions& options) {
  auto settings = load_recorder_settings(env);
  settings.session_root = options.session_root;
  settings.default_display = options.display;
  settings.default_fps = options.fps;
  if (!trim(options.resolution).empty()) {
    const auto resolution = parse_resolution(trim(options.resolution));
    if (!resolution) {
      reject("--resolution (SCREEN)", "WIDTHxHEIGHT with sides from 2 to 16384",
             options.resolution);
    }
    settings.default_resolution = *resolution;
  }
  return settings;
}

bool recording_enabled(const shared::EnvLookup& env) {
  return env("WINEBOT_RECORD").value_or("") == "1";
}

}  // namespace winebot::node

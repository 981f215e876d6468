#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "node/node_options.hpp"
#include "shared/config/option_parser.hpp"

namespace winebot::node {

// A frame size in pixels.
struct Resolution {
  int width = 0;
  int height = 0;

  bool empty() const { return width <= 0 || height <= 0; }
  std::string text() const { return std::to_string(width) + "x" + std::to_string(height); }
  bool operator==(const Resolution&) const = default;
};

// Parses "WxH" or WineBot's "WxHxDEPTH" (the depth is ignored). Sizes run from 2 to 16384.
std::optional<Resolution> parse_resolution(const std::string& text);

// libx264 settings. The defaults are WineBot's: preset ultrafast, CRF 23, yuv420p.
struct EncoderSettings {
  std::string preset = "ultrafast";
  int crf = 23;
  std::string pixel_format = "yuv420p";
};

// Capture settings of one segment, fixed when it starts.
struct CapturePlan {
  std::string display;    // X display name such as ":99".
  Resolution resolution;  // Output size; empty means the display's own size.
  int fps = 30;
  EncoderSettings encoder;
};

// Retention of old segments under one session, applied after every stop. Zero disables a rule.
struct RetentionSettings {
  long long max_segments = 0;
  long long max_age_days = 0;
  long long max_bytes = 0;
};

// Merging of WineBot's input-trace logs into the subtitles at finalisation.
struct InputTraceSettings {
  bool record = false;  // WINEBOT_INPUT_TRACE_RECORD=1
  bool include = true;  // WINEBOT_RECORDING_INCLUDE_INPUT_TRACES
  bool redact = true;   // WINEBOT_RECORDING_REDACT_SENSITIVE
  std::vector<std::string> redact_fields{"key",      "keycode", "text",   "raw",
                                         "password", "token",   "secret", "clipboard"};
  long long max_events = 50000;                 // newest kept; <= 0 keeps all
  std::uint64_t max_load_bytes = 100ull << 20;  // across all input logs
};

// Everything the recorder reads from flags and the environment at start-up. Values that WineBot
// reads per request (WINEBOT_RECORD) are read per request instead, through the EnvLookup.
struct RecorderSettings {
  std::filesystem::path session_root = "/artifacts/sessions";
  std::string session_mode = "persistent";  // or "oneshot"
  std::string control_mode = "hybrid";      // human-only, agent-only or hybrid
  std::string default_display = ":99";
  Resolution default_resolution;  // empty: the display's own size
  int default_fps = 30;
  EncoderSettings encoder;
  RetentionSettings retention;
  InputTraceSettings input_traces;
  std::string git_sha;  // GIT_SHA, empty when unset
  // WineBot's pointer to the active session folder, rewritten when a session is created
  // (WINEBOT_SESSION_POINTER_FILE moves it, for tests).
  std::filesystem::path pointer_file = "/tmp/winebot_current_session";
  std::string hostname;

  // How long a request handler waits for the capture thread to apply pause or resume.
  std::chrono::milliseconds control_wait{2000};
  // How long stop waits for the capture thread to close the video before replying
  // stop_requested with a timeout warning.
  std::chrono::milliseconds stop_command_timeout{8000};
  // How long stop then waits for finalisation before replying stop_requested.
  std::chrono::milliseconds stop_sync_wait{3000};
  // A recording whose video has not grown for this long is reported as stalled.
  std::chrono::milliseconds heartbeat_stale{30000};
  std::chrono::milliseconds heartbeat_grace{15000};
};

// Reads the recorder's environment variables: RECORDER_PRESET, RECORDER_CRF, RECORDER_PIX_FMT,
// WINEBOT_SESSION_MODE, WINEBOT_SESSION_CONTROL_MODE, the WINEBOT_TIMEOUT_RECORDING_* and
// WINEBOT_RECORDING_* knobs, the heartbeat thresholds, retention, input-trace merging and GIT_SHA.
// Throws shared::ConfigError naming the variable when a value is invalid.
RecorderSettings load_recorder_settings(const shared::EnvLookup& env);
// The same, with the session root and recording defaults of the node's flags. Throws
// shared::ConfigError when --resolution (SCREEN) is not WxH.
RecorderSettings load_recorder_settings(const shared::EnvLookup& env, const NodeOptions& options);

// True when WINEBOT_RECORD is exactly "1", as WineBot reads it on every request.
bool recording_enabled(const shared::EnvLookup& env);

}  // namespace winebot::node

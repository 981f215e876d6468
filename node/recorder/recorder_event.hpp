#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace winebot::node {

// A position on screen for an overlay, in display pixels.
struct EventPosition {
  double x = 0;
  double y = 0;
  std::optional<double> width;
  std::optional<double> height;
};

// One line of a segment's `events_NNN.jsonl`, in WineBot's layout. `t_rel_ms` is milliseconds
// since the segment started on the recorder's monotonic clock, paused time included; only the
// subtitles are shifted to the video timeline.
struct RecorderEvent {
  std::string session_id;
  std::int64_t t_rel_ms = 0;
  std::int64_t t_epoch_ms = 0;
  std::string level = "INFO";
  std::string kind;
  std::string message;
  std::optional<EventPosition> pos;
  std::optional<nlohmann::json> style;
  std::vector<std::string> tags;
  std::optional<std::string> source;
  nlohmann::json extra = nlohmann::json::object();
  std::string schema_version = "1.0";
};

// The event as one JSON object with WineBot's key order; `pos`, `style` and `source` are left
// out when empty, and non-ASCII characters are escaped.
std::string format_recorder_event(const RecorderEvent& event);

// Parses one line. Returns nullopt for invalid JSON or a non-object. Unknown keys are ignored
// and missing ones take their defaults, including schema_version "1.0"; fractional times are
// truncated to whole milliseconds.
std::optional<RecorderEvent> parse_recorder_event(std::string_view line);

// Every event of a JSONL file that parses, in file order. Blank and invalid lines are skipped.
// A missing file gives an empty list.
std::vector<RecorderEvent> read_recorder_events(const std::string& path);

}  // namespace winebot::node

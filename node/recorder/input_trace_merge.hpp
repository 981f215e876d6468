#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/recorder/recorder_event.hpp"
#include "node/recorder/recorder_settings.hpp"

namespace winebot::node {

// Reads WineBot's input-trace logs (logs/input_events.jsonl, then the _client, _windows and
// _network layers) and turns presses, clicks and key-downs inside one segment's wall-clock window
// [segment_start_ms, segment_stop_ms] into `input` events, timed from the segment start. Sensitive
// fields are redacted first when `settings.redact` is set. At most `settings.max_events` events
// are kept (the newest) and at most `settings.max_load_bytes` of lines are read in all. Blank
// and invalid lines are skipped. Threading: any thread.
std::vector<RecorderEvent> load_input_trace_events(const std::filesystem::path& session_dir,
                                                   const std::string& session_id,
                                                   std::int64_t segment_start_ms,
                                                   std::int64_t segment_stop_ms,
                                                   const InputTraceSettings& settings);

// Replaces the value of every key (at any depth) whose lower-cased name is in `fields` or
// contains "password", "secret", "token" or "key" with "<redacted>", unless the value is a
// number, a boolean or null.
nlohmann::json redact_fields(const nlohmann::json& value, const std::vector<std::string>& fields);

}  // namespace winebot::node

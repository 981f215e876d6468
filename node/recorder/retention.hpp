#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/recorder/recorder_settings.hpp"

namespace winebot::node {

struct RetentionResult {
  std::vector<std::string> deleted;  // sorted paths relative to the session folder
  std::vector<std::pair<std::string, std::string>> errors;  // path, reason
  std::uint64_t bytes_freed = 0;

  nlohmann::json to_json() const;
};

// Deletes old segment files in one session folder, in WineBot's order. Candidates are top-level
// files named video_*, events_*, segment_*, parts_*, part_index_* and logs/input_events*.
//   1. max_segments N: files of every segment number but the N highest go;
//   2. max_age_days: candidates older than that go;
//   3. max_bytes: while the rest add up to more, the oldest (by mtime, then path) go.
// A rule set to 0 or less is off. Files of `protected_segment` (the one being recorded, or 0)
// are never deleted. File errors are collected in the result instead of thrown. Threading: any
// thread.
RetentionResult apply_retention(const std::filesystem::path& session_dir,
                                const RetentionSettings& settings, int protected_segment,
                                std::chrono::system_clock::time_point now);

}  // namespace winebot::node

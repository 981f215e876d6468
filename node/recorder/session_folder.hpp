#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace winebot::node {

// Facts a new session.json records besides its id and times.
struct SessionFacts {
  std::string hostname;
  std::string display;
  std::string resolution;
  int fps = 30;
  std::string git_sha;  // empty writes null
};

// One session folder in WineBot's layout, and the names of the files in it. Methods that write
// throw std::system_error (or std::filesystem::filesystem_error) naming the file; callers turn
// that into an HTTP error or a log line. Threading: no state of its own beyond the path; callers
// serialise writers of the same file.
class SessionFolder {
 public:
  explicit SessionFolder(std::filesystem::path path) : path_(std::move(path)) {}

  // Creates `session-<YYYY-MM-DD>-<unix seconds>-<6 hex>[-<label>]` under `root` with its logs/,
  // screenshots/, scripts/ and user/ folders. Runs of characters outside [A-Za-z0-9._-] in the
  // label become "-", and outer dashes are trimmed.
  static SessionFolder create(const std::filesystem::path& root, const std::string& label,
                              std::chrono::system_clock::time_point now);
  // The label as create() puts it into the id; empty when nothing is left.
  static std::string sanitise_label(const std::string& label);

  const std::filesystem::path& path() const { return path_; }
  std::string id() const { return path_.filename().string(); }
  bool exists() const;

  // session.json, parsed; an empty object when missing or invalid.
  nlohmann::json read_manifest() const;
  // Loads session.json, fills missing or empty keys (a `timeline-<32 hex>` id among them) and
  // writes it back when something was missing. Returns the timeline id.
  std::string ensure_manifest(const SessionFacts& facts,
                              std::chrono::system_clock::time_point now) const;

  // Hands out the next segment number under an flock on segment_index.lock: the value in
  // segment_index.txt, or one more than the highest video_NNN.mkv when that file is missing or
  // unreadable. Stores the number after it.
  int allocate_segment() const;

  // Replaces a small state file (recorder.state, segment.current, ...) atomically.
  void write_text(const std::string& name, const std::string& content) const;
  std::optional<std::string> read_text(const std::string& name) const;
  void remove(const std::string& name) const;

  std::filesystem::path file(const std::string& name) const { return path_ / name; }
  std::filesystem::path video_file(int segment) const;
  std::filesystem::path events_file(int segment) const;
  std::filesystem::path segment_manifest_file(int segment) const;
  std::filesystem::path vtt_file(int segment) const;
  std::filesystem::path ass_file(int segment) const;
  std::filesystem::path lifecycle_log() const { return path_ / "logs" / "lifecycle.jsonl"; }

 private:
  std::filesystem::path path_;
};

// "%03d": 7 -> "007", 1234 -> "1234".
std::string segment_name(int segment);

// Milliseconds since the Unix epoch.
std::int64_t epoch_ms(std::chrono::system_clock::time_point time);
// UTC ISO-8601 with "+00:00" and microseconds when nonzero, like Python's isoformat().
std::string iso_utc(std::chrono::system_clock::time_point time);
// A session.json or segment manifest start time in milliseconds. WineBot wrote seconds in some
// versions, so values below 1e11 are taken as seconds.
std::optional<double> start_time_ms(const nlohmann::json& manifest);

// Names of state files in a session folder.
inline constexpr const char* kRecorderStateFile = "recorder.state";
inline constexpr const char* kRecorderPidFile = "recorder.pid";
inline constexpr const char* kSegmentCurrentFile = "segment.current";
inline constexpr const char* kEventsCurrentFile = "events.current";
inline constexpr const char* kFinalizationMarkerFile = "recorder.finalization.json";
inline constexpr const char* kManualPauseLockFile = "recorder.manual_pause_lock";
inline constexpr const char* kSessionStateFile = "session.state";

}  // namespace winebot::node

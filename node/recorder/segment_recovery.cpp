#include "node/recorder/segment_recovery.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>

#include "node/recorder/recorder_event.hpp"
#include "node/recorder/segment_finalizer.hpp"
#include "shared/config/option_parser.hpp"
#include "shared/jsonl/jsonl_appender.hpp"

namespace winebot::node {
namespace {

std::optional<int> integer_in(const std::optional<std::string>& text) {
  if (!text) {
    return std::nullopt;
  }
  const auto value = shared::parse_integer(*text);
  if (!value || *value < 1 || *value > 1'000'000) {
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

// kill(pid, 0) succeeds or fails with EPERM for a live process.
bool process_alive(int pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

bool has_stop_event(const std::vector<RecorderEvent>& events) {
  for (const auto& event : events) {
    if (event.kind == "recorder_stop") {
      return true;
    }
  }
  return false;
}

std::string text_of(const nlohmann::json& manifest, const char* key) {
  const auto it = manifest.find(key);
  return it != manifest.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json load_segment_manifest(const SessionFolder& folder, int segment) {
  const auto text = folder.read_text(folder.segment_manifest_file(segment).filename());
  if (text) {
    auto manifest = nlohmann::json::parse(*text, nullptr, false);
    if (manifest.is_object()) {
      return manifest;
    }
  }
  return folder.read_manifest();
}

}  // namespace

const char* recovery_status_name(RecoveryStatus status) {
  switch (status) {
    case RecoveryStatus::kRecovered:
      return "recovered";
    case RecoveryStatus::kNothing:
      return "nothing_to_recover";
    case RecoveryStatus::kRefused:
      return "refused";
    case RecoveryStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

std::optional<int> find_interrupted_segment(const SessionFolder& folder) {
  if (auto segment = integer_in(folder.read_text(kSegmentCurrentFile))) {
    return segment;
  }
  const auto marker_text = folder.read_text(kFinalizationMarkerFile);
  if (!marker_text) {
    return std::nullopt;
  }
  const auto marker = nlohmann::json::parse(*marker_text, nullptr, false);
  if (marker.is_object() && marker.contains("segment") && marker["segment"].is_number_integer()) {
    return marker["segment"].get<int>();
  }
  return std::nullopt;
}

RecoveryResult recover_segment(const SessionFolder& folder, const std::string& reason,
                               const InputTraceSettings& traces, int own_pid) {
  const auto segment = find_interrupted_segment(folder);
  if (!segment) {
    return {RecoveryStatus::kNothing, 0, "no interrupted segment in " + folder.path().string()};
  }
  if (const auto pid = integer_in(folder.read_text(kRecorderPidFile));
      pid && *pid != own_pid && process_alive(*pid)) {
    return {RecoveryStatus::kRefused, *segment,
            "recorder process " + std::to_string(*pid) + " is still running"};
  }

  const auto manifest = load_segment_manifest(folder, *segment);
  const auto start_ms = start_time_ms(manifest);
  if (text_of(manifest, "session_id").empty() || !start_ms ||
      text_of(manifest, "start_time_iso").empty()) {
    return {RecoveryStatus::kRefused, *segment,
            "segment manifest lacks session_id, start_time_epoch or start_time_iso"};
  }
  const auto events_path = folder.events_file(*segment);
  if (!std::filesystem::exists(events_path)) {
    return {RecoveryStatus::kRefused, *segment, events_path.string() + " is missing"};
  }

  const auto now = std::chrono::system_clock::now();
  if (!has_stop_event(read_recorder_events(events_path.string()))) {
    RecorderEvent stop;
    stop.session_id = text_of(manifest, "session_id");
    stop.t_epoch_ms = epoch_ms(now);
    stop.t_rel_ms =
        std::max<std::int64_t>(0, stop.t_epoch_ms - static_cast<std::int64_t>(*start_ms));
    stop.kind = "recorder_stop";
    stop.message = "Recorder stopped (recovered)";
    stop.source = "recorder";
    stop.extra = {{"reason", reason}};
    shared::JsonlAppender(events_path).append(format_recorder_event(stop));
  }

  SegmentIdentity identity{folder,
                           *segment,
                           text_of(manifest, "session_id"),
                           text_of(manifest, "display"),
                           parse_resolution(text_of(manifest, "resolution")).value_or(Resolution{}),
                           static_cast<std::int64_t>(*start_ms),
                           {{"title", text_of(manifest, "session_id")},
                            {"encoder", "WineBot Recorder"},
                            {"encoding_tool", "WineBot Recorder"},
                            {"WINEBOT_SESSION_ID", text_of(manifest, "session_id")},
                            {"WINEBOT_GIT_SHA", text_of(manifest, "git_sha")},
                            {"WINEBOT_HOSTNAME", text_of(manifest, "hostname")},
                            {"WINEBOT_DISPLAY", text_of(manifest, "display")}}};
  try {
    nlohmann::ordered_json marker{{"phase", "recovering"},
                                  {"updated_at_epoch_ms", epoch_ms(now)},
                                  {"reason", reason},
                                  {"segment", *segment}};
    folder.write_text(kFinalizationMarkerFile, marker.dump(2));
  } catch (const std::exception& error) {
    return {RecoveryStatus::kFailed, *segment, error.what()};
  }
  const auto result = SegmentFinalizer(identity, traces).run(reason);
  if (!result.ok) {
    return {RecoveryStatus::kFailed, *segment, result.error};
  }
  return {RecoveryStatus::kRecovered, *segment, ""};
}

std::vector<SessionFolder> find_interrupted_sessions(const std::filesystem::path& root) {
  std::vector<SessionFolder> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    SessionFolder folder(entry.path());
    if (entry.is_directory(error) && find_interrupted_segment(folder)) {
      found.push_back(folder);
    }
  }
  return found;
}

}  // namespace winebot::node

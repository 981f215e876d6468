#include "node/recorder/segment_finalizer.hpp"

#include <algorithm>
#include <chrono>

#include "node/recorder/input_trace_merge.hpp"
#include "node/recorder/subtitle_muxer.hpp"
#include "node/recorder/subtitle_writer.hpp"
#include "shared/util/files.hpp"

namespace winebot::node {
namespace {

constexpr std::int64_t kLastChapterMs = 30000;

std::int64_t now_ms() {
  return epoch_ms(std::chrono::system_clock::now());
}

std::int64_t stop_epoch_ms(const std::vector<RecorderEvent>& events) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind == "recorder_stop") {
      return it->t_epoch_ms;
    }
  }
  return now_ms();
}

std::vector<Chapter> chapters_of(const std::vector<RecorderEvent>& events) {
  std::vector<Chapter> chapters;
  for (const auto& event : events) {
    if (event.kind == "chapter") {
      chapters.push_back({event.t_rel_ms, event.t_rel_ms + kLastChapterMs, event.message});
    }
  }
  for (std::size_t index = 0; index + 1 < chapters.size(); ++index) {
    chapters[index].end_ms = chapters[index + 1].start_ms;
  }
  return chapters;
}

std::string ffmetadata_escape(const std::string& text) {
  std::string escaped;
  for (const char character : text) {
    if (character == '=' || character == ';' || character == '#' || character == '\\' ||
        character == '\n') {
      escaped += '\\';
    }
    escaped += character;
  }
  return escaped;
}

std::string format_ffmetadata(const std::vector<Chapter>& chapters) {
  std::string text = ";FFMETADATA1\n";
  for (const auto& chapter : chapters) {
    text += "[CHAPTER]\nTIMEBASE=1/1000\nSTART=" + std::to_string(chapter.start_ms) +
            "\nEND=" + std::to_string(chapter.end_ms) +
            "\ntitle=" + ffmetadata_escape(chapter.title) + "\n";
  }
  return text;
}

}  // namespace

SegmentFinalizer::SegmentFinalizer(SegmentIdentity identity, InputTraceSettings traces)
    : identity_(std::move(identity)), traces_(std::move(traces)) {}

FinalizeResult SegmentFinalizer::run(const std::string& reason) {
  try {
    write_marker("begin", reason);
    write_marker("subtitles", reason);
    if (auto error = write_subtitles(); !error.empty()) {
      return {false, error};
    }
    write_marker("mux", reason);
    if (auto error = mux(); !error.empty()) {
      return {false, error};
    }
    clean_up();
    return {true, ""};
  } catch (const std::exception& error) {  // a marker or subtitle file that cannot be written
    return {false, error.what()};
  }
}

void SegmentFinalizer::write_marker(const std::string& phase, const std::string& reason) const {
  const auto& folder = identity_.folder;
  const nlohmann::ordered_json marker{
      {"phase", phase},
      {"updated_at_epoch_ms", now_ms()},
      {"reason", reason},
      {"segment", identity_.segment},
      {"events_file", folder.events_file(identity_.segment).string()},
      {"output_file", folder.video_file(identity_.segment).string()},
      {"vtt_file", folder.vtt_file(identity_.segment).string()},
      {"ass_file", folder.ass_file(identity_.segment).string()}};
  folder.write_text(kFinalizationMarkerFile, marker.dump(2));
}

std::string SegmentFinalizer::write_subtitles() {
  const auto& folder = identity_.folder;
  auto events = read_recorder_events(folder.events_file(identity_.segment).string());
  if (traces_.record && traces_.include) {
    auto inputs = load_input_trace_events(folder.path(), identity_.session_id,
                                          identity_.start_epoch_ms, stop_epoch_ms(events), traces_);
    events.insert(events.end(), inputs.begin(), inputs.end());
  }
  events = adjust_for_pauses(std::move(events));
  cues_ = build_cues(events, video_duration_ms(folder.video_file(identity_.segment)));
  chapters_ = chapters_of(events);

  folder.write_text(folder.vtt_file(identity_.segment).filename(), format_vtt(cues_));
  folder.write_text(folder.ass_file(identity_.segment).filename(),
                    format_ass(cues_, identity_.resolution));
  if (!chapters_.empty()) {
    folder.write_text("chapters.ffmetadata.txt", format_ffmetadata(chapters_));
  }
  return "";
}

std::string SegmentFinalizer::mux() {
  const auto video = identity_.folder.video_file(identity_.segment);
  auto muxed = video;
  muxed += ".muxed.mkv";
  SubtitleMuxPlan plan{video, muxed, cues_, identity_.resolution, identity_.tags, chapters_};
  if (auto error = mux_subtitles(plan); !error.empty()) {
    return error;
  }
  std::error_code error;
  std::filesystem::rename(muxed, video, error);
  if (error) {
    return "cannot rename " + muxed.string() + " over " + video.string() + ": " + error.message();
  }
  return "";
}

void SegmentFinalizer::clean_up() const {
  for (const char* name : {kRecorderPidFile, kSegmentCurrentFile, kEventsCurrentFile,
                           "part_index.current", kFinalizationMarkerFile}) {
    identity_.folder.remove(name);
  }
}

}  // namespace winebot::node

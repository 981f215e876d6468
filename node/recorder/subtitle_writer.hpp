#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "node/recorder/recorder_event.hpp"
#include "node/recorder/recorder_settings.hpp"

namespace winebot::node {

// One subtitle, on the video timeline (paused spans removed), in milliseconds.
struct SubtitleCue {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string kind;
  std::string message;
  std::optional<EventPosition> pos;  // set only for annotations placed on screen
};

// Moves every event onto the video timeline. Each recorder_pause is paired with the next
// recorder_resume by t_epoch_ms, and an event loses the paused time before it: whole spans that
// ended at or before it, and the part of a span it falls inside. Times stay at 0 or above. A
// pause with no resume after it lasts to the end, so the events after it (the stop) move to
// where it began. The result is stable-sorted by t_rel_ms.
std::vector<RecorderEvent> adjust_for_pauses(std::vector<RecorderEvent> events);

// One cue per event, from events already on the video timeline. A cue lasts 3 s or until the
// next event starts, whichever is sooner, and the last one lasts 3 s. With `video_end_ms`, no cue
// ends after the video does, so the subtitle tracks do not make the file longer than its video.
std::vector<SubtitleCue> build_cues(const std::vector<RecorderEvent>& events,
                                    std::optional<std::int64_t> video_end_ms = std::nullopt);

// WebVTT: "WEBVTT", then per cue its timing line and "[KIND] message". Text is escaped so that
// it cannot end the cue or open a tag: & < > become entities and line breaks become spaces.
std::string format_vtt(const std::vector<SubtitleCue>& cues);
// The text of one cue as format_vtt writes it.
std::string vtt_cue_text(const SubtitleCue& cue);

// Advanced SubStation Alpha: script info sized to `resolution` (1920x1080 when empty), the
// Default and Overlay styles, and per cue a Default dialogue line. Annotations with a position
// also get an Overlay line there. Text is escaped so that it cannot start an override block.
std::string format_ass(const std::vector<SubtitleCue>& cues, Resolution resolution);
// Everything of format_ass up to the [Events] format line, which Matroska stores as the
// subtitle track's codec private data.
std::string ass_header(Resolution resolution);
// Dialogue lines of one cue (one or two) as "Layer,Start,End,Style,Name,MarginL,MarginR,
// MarginV,Effect,Text" fields without the "Dialogue: " prefix.
std::vector<std::string> ass_dialogue_fields(const SubtitleCue& cue);

// "HH:MM:SS.mmm" and "H:MM:SS.cc" (centiseconds rounded down).
std::string format_vtt_time(std::int64_t ms);
std::string format_ass_time(std::int64_t ms);

}  // namespace winebot::node

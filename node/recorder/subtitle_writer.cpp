#include "node/recorder/subtitle_writer.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

namespace winebot::node {
namespace {

constexpr std::int64_t kCueMs = 3000;

struct PausedSpan {
  std::int64_t start_ms;
  std::int64_t end_ms;
};

// Pairs each pause with the next resume in wall-clock order, in t_rel_ms terms.
std::vector<PausedSpan> paused_spans(const std::vector<RecorderEvent>& events) {
  std::vector<const RecorderEvent*> pauses;
  std::vector<const RecorderEvent*> resumes;
  for (const auto& event : events) {
    if (event.kind == "recorder_pause") {
      pauses.push_back(&event);
    } else if (event.kind == "recorder_resume") {
      resumes.push_back(&event);
    }
  }
  const auto by_epoch = [](const RecorderEvent* a, const RecorderEvent* b) {
    return a->t_epoch_ms < b->t_epoch_ms;
  };
  std::stable_sort(pauses.begin(), pauses.end(), by_epoch);
  std::stable_sort(resumes.begin(), resumes.end(), by_epoch);

  std::vector<PausedSpan> spans;
  std::size_t next_resume = 0;
  for (const auto* pause : pauses) {
    while (next_resume < resumes.size() && resumes[next_resume]->t_epoch_ms < pause->t_epoch_ms) {
      ++next_resume;
    }
    if (next_resume == resumes.size()) {
      // Paused until the end (a stop while paused): what follows, such as the stop event,
      // moves to where the pause began, which is where the video ends.
      spans.push_back({pause->t_rel_ms, std::numeric_limits<std::int64_t>::max()});
      break;
    }
    const auto* resume = resumes[next_resume++];
    spans.push_back({pause->t_rel_ms, std::max(pause->t_rel_ms, resume->t_rel_ms)});
  }
  return spans;
}

std::string uppercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char character) { return std::toupper(character); });
  return text;
}

std::string vtt_escape(const std::string& text) {
  std::string escaped;
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char character = text[index];
    if (character == '&') {
      escaped += "&amp;";
    } else if (character == '<') {
      escaped += "&lt;";
    } else if (character == '>') {
      escaped += "&gt;";
    } else if (character == '\r' || character == '\n') {
      // A blank line would end the cue; CRLF becomes one space.
      if (!(character == '\n' && index > 0 && text[index - 1] == '\r')) {
        escaped += ' ';
      }
    } else {
      escaped += character;
    }
  }
  return escaped;
}

// ASS has no escape for braces or backslashes: "{" opens an override block and "\N" is a line
// break. Braces become parentheses and a backslash becomes U+29F5 (reverse solidus operator),
// which looks the same. Line breaks become ASS's own "\N".
std::string ass_escape(const std::string& text) {
  std::string escaped;
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char character = text[index];
    if (character == '{') {
      escaped += '(';
    } else if (character == '}') {
      escaped += ')';
    } else if (character == '\\') {
      escaped += "\u29F5";
    } else if (character == '\r' || character == '\n') {
      if (!(character == '\n' && index > 0 && text[index - 1] == '\r')) {
        escaped += "\\N";
      }
    } else {
      escaped += character;
    }
  }
  return escaped;
}

std::string ass_number(double value) {
  char text[32];
  if (value == std::trunc(value) && std::fabs(value) < 1e9) {
    std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(text, sizeof text, "%.2f", value);
  }
  return text;
}

}  // namespace

std::vector<RecorderEvent> adjust_for_pauses(std::vector<RecorderEvent> events) {
  const auto spans = paused_spans(events);
  for (auto& event : events) {
    std::int64_t removed = 0;
    for (const auto& span : spans) {
      removed += std::max<std::int64_t>(0, std::min(event.t_rel_ms, span.end_ms) - span.start_ms);
    }
    event.t_rel_ms = std::max<std::int64_t>(0, event.t_rel_ms - removed);
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.t_rel_ms < b.t_rel_ms; });
  return events;
}

std::vector<SubtitleCue> build_cues(const std::vector<RecorderEvent>& events,
                                    std::optional<std::int64_t> video_end_ms) {
  std::vector<SubtitleCue> cues;
  for (std::size_t index = 0; index < events.size(); ++index) {
    const auto& event = events[index];
    auto end = event.t_rel_ms + kCueMs;
    if (index + 1 < events.size()) {
      end = std::min(end, events[index + 1].t_rel_ms);
    }
    if (video_end_ms) {
      end = std::max(event.t_rel_ms, std::min(end, *video_end_ms));
    }
    SubtitleCue cue{event.t_rel_ms, end, event.kind, event.message, std::nullopt};
    if (event.kind == "annotation") {
      cue.pos = event.pos;
    }
    cues.push_back(std::move(cue));
  }
  return cues;
}

std::string format_vtt_time(std::int64_t ms) {
  ms = std::max<std::int64_t>(0, ms);
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%03lld",
                static_cast<long long>(ms / 3600000), static_cast<long long>(ms / 60000 % 60),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  return text;
}

std::string format_ass_time(std::int64_t ms) {
  ms = std::max<std::int64_t>(0, ms);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld.%02lld",
                static_cast<long long>(ms / 3600000), static_cast<long long>(ms / 60000 % 60),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000 / 10));
  return text;
}

std::string vtt_cue_text(const SubtitleCue& cue) {
  return "[" + vtt_escape(uppercase(cue.kind)) + "] " + vtt_escape(cue.message);
}

std::string format_vtt(const std::vector<SubtitleCue>& cues) {
  std::string text = "WEBVTT\n\n";
  for (const auto& cue : cues) {
    text += format_vtt_time(cue.start_ms) + " --> " + format_vtt_time(cue.end_ms) + "\n";
    text += vtt_cue_text(cue) + "\n\n";
  }
  return text;
}

std::string ass_header(Resolution resolution) {
  if (resolution.empty()) {
    resolution = {1920, 1080};
  }
  return "[Script Info]\n"
         "Title: WineBot Session\n"
         "ScriptType: v4.00+\n"
         "PlayResX: " +
         std::to_string(resolution.width) +
         "\n"
         "PlayResY: " +
         std::to_string(resolution.height) +
         "\n"
         "\n"
         "[V4+ Styles]\n"
         "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
         "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
         "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
         "Style: Default,DejaVu Sans,24,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,"
         "100,100,0,0,1,2,0,2,20,20,20,1\n"
         "Style: Overlay,DejaVu Sans,28,&H0000FFFF,&H000000FF,&H00000000,&H80000000,1,0,0,0,"
         "100,100,0,0,1,2,0,7,0,0,0,1\n"
         "\n"
         "[Events]\n"
         "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n";
}

std::vector<std::string> ass_dialogue_fields(const SubtitleCue& cue) {
  const auto span = format_ass_time(cue.start_ms) + "," + format_ass_time(cue.end_ms);
  std::vector<std::string> lines;
  lines.push_back("0," + span + ",Default,,0,0,0,,[" + ass_escape(uppercase(cue.kind)) + "] " +
                  ass_escape(cue.message));
  if (cue.pos) {
    lines.push_back("1," + span + ",Overlay,,0,0,0,,{\\pos(" + ass_number(cue.pos->x) + "," +
                    ass_number(cue.pos->y) + ")}" + ass_escape(cue.message));
  }
  return lines;
}

std::string format_ass(const std::vector<SubtitleCue>& cues, Resolution resolution) {
  std::string text = ass_header(resolution);
  for (const auto& cue : cues) {
    for (const auto& fields : ass_dialogue_fields(cue)) {
      text += "Dialogue: " + fields + "\n";
    }
  }
  return text;
}

}  // namespace winebot::node

#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/recorder/recorder_settings.hpp"
#include "node/recorder/subtitle_writer.hpp"

namespace winebot::node {

// A chapter on the video timeline, in milliseconds.
struct Chapter {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string title;
};

// Inputs and contents of a final video file: the video, its subtitles, tags and chapters.
struct SubtitleMuxPlan {
  std::filesystem::path video_in;
  std::filesystem::path video_out;
  std::vector<SubtitleCue> cues;
  Resolution resolution;                                  // for the ASS script's PlayResX/PlayResY
  std::vector<std::pair<std::string, std::string>> tags;  // container tags; empty values skipped
  std::vector<Chapter> chapters;
};

// Copies the first video stream of `video_in` into a new Matroska file `video_out` with two
// subtitle tracks built from the cues: ASS ("Overlays (ASS)", default) and WebVTT ("Events
// (VTT)"), plus the tags and chapters. Packets are copied, never re-encoded. A damaged input
// (a recording cut off by a crash, without its trailer) is copied up to the first unreadable
// packet. Returns "" on success or the error, with FFmpeg's text; on failure `video_out` is
// removed. Threading: any thread; it touches nothing but the two files.
std::string mux_subtitles(const SubtitleMuxPlan& plan);

// The duration a finished video file declares, in milliseconds. Returns nullopt when the file
// cannot be opened or declares none, as with a recording cut off by a crash.
std::optional<std::int64_t> video_duration_ms(const std::filesystem::path& video);

}  // namespace winebot::node

#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "node/recorder/recorder_settings.hpp"
#include "node/recorder/session_folder.hpp"
#include "node/recorder/subtitle_muxer.hpp"
#include "node/recorder/subtitle_writer.hpp"

namespace winebot::node {

// The facts finalisation needs about one segment.
struct SegmentIdentity {
  SessionFolder folder;
  int segment = 0;
  std::string session_id;
  std::string display;
  Resolution resolution;                                  // encoded size, for the ASS script
  std::int64_t start_epoch_ms = 0;                        // wall clock at the segment's first frame
  std::vector<std::pair<std::string, std::string>> tags;  // container tags
};

struct FinalizeResult {
  bool ok = false;
  std::string error;  // the first step that failed, with its reason
};

// Turns a closed segment video into the final artifacts:
//   1. marker phase "begin": recorder.finalization.json names the segment and its files;
//   2. phase "subtitles": read events_NNN.jsonl (plus input traces when enabled), move them onto
//      the video timeline, write events_NNN.vtt, events_NNN.ass and, when chapter events exist,
//      chapters.ffmetadata.txt;
//   3. phase "mux": copy the video with both subtitle tracks, the chapters and the session tags
//      into video_NNN.mkv.muxed.mkv, then rename it over video_NNN.mkv;
//   4. remove recorder.pid, segment.current, events.current and the marker.
// If the process dies part-way, the marker stays and recovery runs the steps again; each step
// can be repeated safely. A failed mux leaves the playable video without subtitle tracks and
// keeps the marker. Threading: runs on whichever thread calls run(), touching only the segment's
// files.
class SegmentFinalizer {
 public:
  SegmentFinalizer(SegmentIdentity identity, InputTraceSettings traces);

  // `reason` is stored in the marker, such as "stop", "sigterm" or "manual_recover".
  FinalizeResult run(const std::string& reason);

 private:
  void write_marker(const std::string& phase, const std::string& reason) const;
  std::string write_subtitles();
  std::string mux();
  void clean_up() const;

  SegmentIdentity identity_;
  InputTraceSettings traces_;
  std::vector<SubtitleCue> cues_;
  std::vector<Chapter> chapters_;
};

}  // namespace winebot::node

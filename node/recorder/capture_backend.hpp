#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/recorder/recorder_settings.hpp"

namespace winebot::node {

// Reason a capture stopped or could not start; kNone means it did not fail.
enum class CaptureFailure {
  kNone,
  kDisplayUnavailable,  // the X display could not be opened
  kDisplayLost,         // the X server went away while recording
  kDisplayResized,      // the display's size changed while recording
  kDiskFull,            // ENOSPC or EDQUOT while writing the video
  kOutputFailed,        // any other error opening or writing the video file
  kEncoderFailed,       // libx264 missing, rejecting a setting, or failing
};

// The lowercase name used in events, logs and /health, such as "disk_full".
const char* capture_failure_name(CaptureFailure failure);

struct CaptureError {
  CaptureFailure failure = CaptureFailure::kNone;
  std::string message;  // the failed step, with the library's own error text

  bool ok() const { return failure == CaptureFailure::kNone; }
};

// Output file of a segment's video and the container tags it carries.
struct SegmentOutput {
  std::filesystem::path video_file;
  std::vector<std::pair<std::string, std::string>> tags;
};

enum class FrameOutcome {
  kEncoded,
  kNoImage,  // the grabber had no image this time (a transient X reply); try the next slot
  kFailed,
};

struct FrameResult {
  FrameOutcome outcome = FrameOutcome::kEncoded;
  CaptureError error;  // set when outcome is kFailed
};

// Grabs the display and encodes it into one video file. The real one is CapturePipeline; tests
// substitute their own. Threading: every method runs on the segment's capture thread.
class CaptureBackend {
 public:
  virtual ~CaptureBackend() = default;

  // Opens the display, the encoder and the output file, and writes the container header.
  virtual CaptureError open(const CapturePlan& plan, const SegmentOutput& output) = 0;
  // Grabs one image and encodes it with presentation time `pts`, in frame intervals.
  virtual FrameResult capture_frame(std::int64_t pts) = 0;
  // Flushes the encoder and writes the trailer, leaving a complete file.
  virtual CaptureError finish() = 0;

  // Called before a paused capture resumes; an error ends the segment instead. The real
  // pipeline checks that the display is still there and still the same size.
  virtual CaptureError before_resume() { return {}; }
  // Called after the video is closed and before finalisation starts.
  virtual void before_finalize() {}

  // The display size now, or nullopt when the X server no longer replies. Called about once a
  // second while recording.
  virtual std::optional<Resolution> probe_display() = 0;
  // The display size and the encoded size, both known after a successful open().
  virtual Resolution display_resolution() const = 0;
  virtual Resolution output_resolution() const = 0;
  // Bytes written to the video file so far.
  virtual std::uint64_t bytes_written() const = 0;
};

}  // namespace winebot::node

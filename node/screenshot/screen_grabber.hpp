#pragma once

#include <string>

#include "node/recorder/recorder_settings.hpp"

namespace winebot::node {

// Reason a screenshot could not be returned; kNone means it was.
enum class ScreenshotFailure {
  kNone,
  kDisplayUnavailable,  // the X display could not be opened or grabbed
  kEncoderFailed,       // libswscale or the mjpeg encoder failed
  kTimedOut,            // the grab did not finish within the deadline
  kBusy,                // too many grabs are running already
};

struct ScreenshotResult {
  ScreenshotFailure failure = ScreenshotFailure::kNone;
  std::string message;  // the failed step, with the library's own error text
  std::string jpeg;     // the encoded image when failure is kNone
  Resolution size;      // the image's size when failure is kNone

  bool ok() const { return failure == ScreenshotFailure::kNone; }
};

// JPEG quantizer scale for the mjpeg encoder, as the ffmpeg command line's `-q:v` sets it. It runs
// from 2 (best quality, largest file) to 31.
inline constexpr int kJpegQuantizerScale = 4;

// The thumbnail size for a display of `display` pixels and a requested `width`: the requested
// width, or the display's own when that is narrower, since a thumbnail is never enlarged. The
// height keeps the aspect ratio, rounded to the nearest pixel and at least 1.
Resolution thumbnail_size(Resolution display, int width);

// Opens X display `display` with x11grab, grabs one image without the mouse pointer, scales it to
// thumbnail_size(display size, `width`) and encodes it as a JPEG (full-range 4:2:0,
// kJpegQuantizerScale). Blocks the calling thread for the whole exchange with the X server, which
// has no deadline of its own. A server that accepts the connection and then stops replying blocks
// it until the server dies, so callers run it on a thread of its own.
ScreenshotResult grab_screenshot(const std::string& display, int width);

}  // namespace winebot::node

#pragma once

#include <memory>

#include "node/recorder/av_handles.hpp"
#include "node/recorder/capture_backend.hpp"
#include "node/recorder/display_probe.hpp"

namespace winebot::node {

// The real capture: x11grab from libavdevice, pixel conversion and scaling with libswscale,
// H.264 with libx264, Matroska out. No ffmpeg child process.
//
// The display is grabbed whole. The encoded size is the plan's resolution, or the display's size
// when the plan gives none. Either is cut down to even numbers, because 4:2:0 and 4:2:2 chroma
// need them. When the encoded size differs from the display only by that cut, the last odd
// column or row is cropped. Otherwise the image is scaled with the bicubic filter, which is the
// ffmpeg command line's default.
//
// x11grab is opened at 1000 frames per second, so its own frame clock sleeps at most a
// millisecond. The capture thread paces frames itself, which lets a pause take effect at once
// and a resume go on without a burst of catch-up frames.
//
// Threading: every method runs on the segment's capture thread.
class CapturePipeline : public CaptureBackend {
 public:
  CapturePipeline();
  ~CapturePipeline() override;

  CaptureError open(const CapturePlan& plan, const SegmentOutput& output) override;
  FrameResult capture_frame(std::int64_t pts) override;
  CaptureError finish() override;
  CaptureError before_resume() override;
  std::optional<Resolution> probe_display() override;
  Resolution display_resolution() const override { return display_size_; }
  Resolution output_resolution() const override { return output_size_; }
  std::uint64_t bytes_written() const override;

 private:
  CaptureError open_input(const CapturePlan& plan);
  CaptureError open_scaler(const CapturePlan& plan);
  CaptureError open_encoder(const CapturePlan& plan);
  CaptureError open_output(const SegmentOutput& output);
  CaptureError convert(const AVPacket& image);
  CaptureError write_encoded_packets();
  CaptureError grab_error(int code);
  CaptureError write_error(int code, const char* step) const;

  InputFormatHandle input_;
  CodecContextHandle encoder_;
  OutputFormatHandle output_;
  ScaleContextHandle scaler_;
  FrameHandle frame_;
  PacketHandle grabbed_;
  PacketHandle encoded_;
  std::unique_ptr<DisplayProbe> probe_;
  AVStream* video_stream_ = nullptr;  // owned by output_
  AVPixelFormat grabbed_format_ = AV_PIX_FMT_NONE;
  Resolution display_size_;
  Resolution source_size_;  // the part of the display fed to the scaler
  Resolution output_size_;
  std::filesystem::path video_file_;
  std::string display_;
  bool header_written_ = false;
};

}  // namespace winebot::node

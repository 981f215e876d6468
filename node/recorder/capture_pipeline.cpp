#include "node/recorder/capture_pipeline.hpp"

extern "C" {
#include <libavdevice/avdevice.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include <cerrno>
#include <cstdarg>
#include <mutex>

#include "shared/log/logger.hpp"

namespace winebot::node {
namespace {

// The grabber's own frame rate, far above the capture rate, so its frame clock barely waits.
constexpr const char* kGrabberFrameRate = "1000";
// Matroska stores times in milliseconds.
constexpr AVRational kMatroskaTimeBase{1, 1000};
// Maximum span of video the Matroska muxer keeps in memory before writing a cluster.
constexpr int kClusterMilliseconds = 1000;

// Sends FFmpeg's own messages to the node's logger: warnings and errors as warnings, the rest
// (libx264's banner and statistics among them) at debug level.
void forward_ffmpeg_log(void* context, int level, const char* format, va_list arguments) {
  const bool debug = shared::Logger::enabled(shared::LogLevel::kDebug);
  if (level > AV_LOG_VERBOSE || (level > AV_LOG_WARNING && !debug)) {
    return;
  }
  char line[1024];
  int prefix = 1;
  av_log_format_line2(context, level, format, arguments, line, sizeof line, &prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  if (text.empty()) {
    return;
  }
  if (level <= AV_LOG_WARNING) {
    shared::log_warn("ffmpeg.message", {shared::field("text", text)});
  } else {
    shared::log_debug("ffmpeg.message", {shared::field("text", text)});
  }
}

int even(int value) {
  return value - value % 2;
}

CaptureError failed(CaptureFailure failure, std::string message) {
  return {failure, std::move(message)};
}

}  // namespace

void prepare_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_callback(&forward_ffmpeg_log);
    avdevice_register_all();
  });
}

const char* capture_failure_name(CaptureFailure failure) {
  switch (failure) {
    case CaptureFailure::kNone:
      return "none";
    case CaptureFailure::kDisplayUnavailable:
      return "display_unavailable";
    case CaptureFailure::kDisplayLost:
      return "display_lost";
    case CaptureFailure::kDisplayResized:
      return "display_resized";
    case CaptureFailure::kDiskFull:
      return "disk_full";
    case CaptureFailure::kOutputFailed:
      return "output_failed";
    case CaptureFailure::kEncoderFailed:
      return "encoder_failed";
  }
  return "unknown";
}

CapturePipeline::CapturePipeline()
    : frame_(av_frame_alloc()), grabbed_(av_packet_alloc()), encoded_(av_packet_alloc()) {}

CapturePipeline::~CapturePipeline() = default;

CaptureError CapturePipeline::open(const CapturePlan& plan, const SegmentOutput& output) {
  if (!frame_ || !grabbed_ || !encoded_) {
    return failed(CaptureFailure::kEncoderFailed, "out of memory allocating frames");
  }
  video_file_ = output.video_file;
  for (auto step : {&CapturePipeline::open_input, &CapturePipeline::open_scaler,
                    &CapturePipeline::open_encoder}) {
    if (auto error = (this->*step)(plan); !error.ok()) {
      return error;
    }
  }
  return open_output(output);
}

CaptureError CapturePipeline::open_input(const CapturePlan& plan) {
  prepare_ffmpeg();
  const AVInputFormat* grabber = av_find_input_format("x11grab");
  if (grabber == nullptr) {
    return failed(CaptureFailure::kDisplayUnavailable,
                  "this FFmpeg build has no x11grab input device");
  }
  AvOptions options;
  options.set("framerate", kGrabberFrameRate);
  options.set("draw_mouse", "1");
  AVFormatContext* opened = nullptr;
  const int code = avformat_open_input(&opened, plan.display.c_str(), grabber, options.address());
  if (code < 0) {
    return failed(CaptureFailure::kDisplayUnavailable,
                  "cannot open X display " + plan.display + ": " + av_error_text(code));
  }
  input_.reset(opened);
  if (input_->nb_streams < 1) {
    return failed(CaptureFailure::kDisplayUnavailable, "x11grab returned no video stream");
  }

  const AVCodecParameters* grabbed = input_->streams[0]->codecpar;
  grabbed_format_ = static_cast<AVPixelFormat>(grabbed->format);
  display_size_ = {grabbed->width, grabbed->height};
  display_ = plan.display;
  probe_ = std::make_unique<DisplayProbe>(plan.display);
  return {};
}

CaptureError CapturePipeline::open_scaler(const CapturePlan& plan) {
  const Resolution wanted = plan.resolution.empty() ? display_size_ : plan.resolution;
  output_size_ = {even(wanted.width), even(wanted.height)};
  if (output_size_.width < 2 || output_size_.height < 2) {
    return failed(CaptureFailure::kDisplayUnavailable,
                  "display " + plan.display + " is too small to record: " + display_size_.text());
  }
  // An odd display recorded at its own size loses its last column or row instead of being
  // scaled by less than a pixel.
  const bool crop_only =
      plan.resolution.empty() ||
      Resolution{even(display_size_.width), even(display_size_.height)} == output_size_;
  source_size_ = crop_only ? output_size_ : display_size_;

  const AVPixelFormat encoded_format = av_get_pix_fmt(plan.encoder.pixel_format.c_str());
  scaler_.reset(sws_getContext(source_size_.width, source_size_.height, grabbed_format_,
                               output_size_.width, output_size_.height, encoded_format, SWS_BICUBIC,
                               nullptr, nullptr, nullptr));
  if (!scaler_) {
    return failed(CaptureFailure::kEncoderFailed,
                  "libswscale cannot convert " + display_size_.text() + " " +
                      av_get_pix_fmt_name(grabbed_format_) + " to " + output_size_.text() + " " +
                      plan.encoder.pixel_format);
  }

  frame_->format = encoded_format;
  frame_->width = output_size_.width;
  frame_->height = output_size_.height;
  if (const int code = av_frame_get_buffer(frame_.get(), 0); code < 0) {
    return failed(CaptureFailure::kEncoderFailed,
                  "cannot allocate a video frame: " + av_error_text(code));
  }
  return {};
}

CaptureError CapturePipeline::open_encoder(const CapturePlan& plan) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) {
    return failed(CaptureFailure::kEncoderFailed, "this FFmpeg build has no libx264 encoder");
  }
  encoder_.reset(avcodec_alloc_context3(codec));
  if (!encoder_) {
    return failed(CaptureFailure::kEncoderFailed, "out of memory allocating the encoder");
  }
  encoder_->width = output_size_.width;
  encoder_->height = output_size_.height;
  encoder_->pix_fmt = static_cast<AVPixelFormat>(frame_->format);
  encoder_->time_base = AVRational{1, plan.fps};
  encoder_->framerate = AVRational{plan.fps, 1};
  // 0 lets libx264 pick its thread count, as the ffmpeg command line does ("threads auto").
  encoder_->thread_count = 0;
  encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // Matroska keeps SPS and PPS in its header

  AvOptions options;
  options.set("preset", plan.encoder.preset);
  options.set("crf", std::to_string(plan.encoder.crf));
  if (const int code = avcodec_open2(encoder_.get(), codec, options.address()); code < 0) {
    return failed(CaptureFailure::kEncoderFailed,
                  "cannot open libx264 (preset " + plan.encoder.preset + ", crf " +
                      std::to_string(plan.encoder.crf) + ", " + plan.encoder.pixel_format +
                      "): " + av_error_text(code));
  }
  return {};
}

CaptureError CapturePipeline::open_output(const SegmentOutput& output) {
  AVFormatContext* allocated = nullptr;
  int code =
      avformat_alloc_output_context2(&allocated, nullptr, "matroska", output.video_file.c_str());
  if (code < 0) {
    return failed(CaptureFailure::kOutputFailed,
                  "cannot create a Matroska muxer: " + av_error_text(code));
  }
  output_.reset(allocated);
  video_stream_ = avformat_new_stream(output_.get(), nullptr);
  if (video_stream_ == nullptr) {
    return failed(CaptureFailure::kOutputFailed, "out of memory adding the video stream");
  }
  avcodec_parameters_from_context(video_stream_->codecpar, encoder_.get());
  video_stream_->time_base = kMatroskaTimeBase;
  video_stream_->avg_frame_rate = encoder_->framerate;
  for (const auto& [key, value] : output.tags) {
    if (!value.empty()) {
      av_dict_set(&output_->metadata, key.c_str(), value.c_str(), 0);
    }
  }

  code = avio_open(&output_->pb, output.video_file.c_str(), AVIO_FLAG_WRITE);
  if (code < 0) {
    return write_error(code, "cannot create");
  }
  // Every packet goes to disk at once, in clusters of at most a second, so a node that dies
  // leaves a file that recovery can finish, and a full disk shows on the next frame.
  output_->flush_packets = 1;
  AvOptions options;
  options.set("cluster_time_limit", std::to_string(kClusterMilliseconds));
  code = avformat_write_header(output_.get(), options.address());
  if (code < 0) {
    return write_error(code, "cannot write the header of");
  }
  header_written_ = true;
  return {};
}

FrameResult CapturePipeline::capture_frame(std::int64_t pts) {
  const int code = av_read_frame(input_.get(), grabbed_.get());
  if (code == AVERROR(EAGAIN)) {
    return {FrameOutcome::kNoImage, {}};
  }
  if (code < 0) {
    return {FrameOutcome::kFailed, grab_error(code)};
  }

  auto error = convert(*grabbed_);
  av_packet_unref(grabbed_.get());
  if (!error.ok()) {
    return {FrameOutcome::kFailed, error};
  }
  frame_->pts = pts;
  if (const int sent = avcodec_send_frame(encoder_.get(), frame_.get()); sent < 0) {
    return {FrameOutcome::kFailed,
            failed(CaptureFailure::kEncoderFailed, "libx264 failed: " + av_error_text(sent))};
  }
  error = write_encoded_packets();
  return {error.ok() ? FrameOutcome::kEncoded : FrameOutcome::kFailed, error};
}

CaptureError CapturePipeline::convert(const AVPacket& image) {
  const int expected =
      av_image_get_buffer_size(grabbed_format_, display_size_.width, display_size_.height, 1);
  if (image.size < expected) {
    return failed(CaptureFailure::kDisplayResized,
                  "x11grab returned " + std::to_string(image.size) + " bytes, expected " +
                      std::to_string(expected) + " for " + display_size_.text());
  }
  uint8_t* planes[4] = {};
  int strides[4] = {};
  av_image_fill_arrays(planes, strides, image.data, grabbed_format_, display_size_.width,
                       display_size_.height, 1);
  if (const int code = av_frame_make_writable(frame_.get()); code < 0) {
    return failed(CaptureFailure::kEncoderFailed,
                  "cannot reuse the video frame: " + av_error_text(code));
  }
  sws_scale(scaler_.get(), planes, strides, 0, source_size_.height, frame_->data, frame_->linesize);
  return {};
}

CaptureError CapturePipeline::write_encoded_packets() {
  while (true) {
    const int code = avcodec_receive_packet(encoder_.get(), encoded_.get());
    if (code == AVERROR(EAGAIN) || code == AVERROR_EOF) {
      return {};
    }
    if (code < 0) {
      return failed(CaptureFailure::kEncoderFailed, "libx264 failed: " + av_error_text(code));
    }
    av_packet_rescale_ts(encoded_.get(), encoder_->time_base, video_stream_->time_base);
    encoded_->stream_index = video_stream_->index;
    // av_write_frame, not the interleaving variant: there is one stream, so nothing to wait for.
    const int written = av_write_frame(output_.get(), encoded_.get());
    av_packet_unref(encoded_.get());
    if (written < 0) {
      return write_error(written, "cannot write to");
    }
  }
}

CaptureError CapturePipeline::finish() {
  if (!header_written_) {
    return {};
  }
  header_written_ = false;
  int code = avcodec_send_frame(encoder_.get(), nullptr);
  auto error = code < 0 ? failed(CaptureFailure::kEncoderFailed,
                                 "libx264 failed to flush: " + av_error_text(code))
                        : write_encoded_packets();
  code = av_write_trailer(output_.get());
  if (error.ok() && code < 0) {
    error = write_error(code, "cannot write the trailer of");
  }
  code = avio_closep(&output_->pb);
  if (error.ok() && code < 0) {
    error = write_error(code, "cannot close");
  }
  return error;
}

CaptureError CapturePipeline::before_resume() {
  const auto size = probe_display();
  if (!size) {
    return failed(CaptureFailure::kDisplayLost,
                  "X display " + display_ + " no longer answers after the pause");
  }
  if (*size != display_size_) {
    return failed(CaptureFailure::kDisplayResized, "display " + display_ + " changed from " +
                                                       display_size_.text() + " to " +
                                                       size->text() + " during the pause");
  }
  return {};
}

// x11grab reports a vanished server or a shrunk screen with generic codes, so the probe decides
// which it was.
CaptureError CapturePipeline::grab_error(int code) {
  const auto size = probe_display();
  const auto reason = "x11grab on " + display_ + " failed: " + av_error_text(code);
  if (!size) {
    return failed(CaptureFailure::kDisplayLost,
                  "X display " + display_ + " no longer answers (" + reason + ")");
  }
  if (*size != display_size_) {
    return failed(CaptureFailure::kDisplayResized, "display " + display_ + " changed from " +
                                                       display_size_.text() + " to " +
                                                       size->text() + " (" + reason + ")");
  }
  return failed(CaptureFailure::kDisplayLost, reason);
}

CaptureError CapturePipeline::write_error(int code, const char* step) const {
  const bool full = code == AVERROR(ENOSPC) || code == AVERROR(EDQUOT);
  return failed(full ? CaptureFailure::kDiskFull : CaptureFailure::kOutputFailed,
                std::string(step) + " " + video_file_.string() + ": " + av_error_text(code));
}

std::optional<Resolution> CapturePipeline::probe_display() {
  return probe_ ? probe_->root_size() : std::nullopt;
}

std::uint64_t CapturePipeline::bytes_written() const {
  if (!output_ || output_->pb == nullptr) {
    return 0;
  }
  const auto position = avio_tell(output_->pb);
  return position > 0 ? static_cast<std::uint64_t>(position) : 0;
}

}  // namespace winebot::node

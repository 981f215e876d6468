#include "node/screenshot/screen_grabber.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <algorithm>

#include "node/recorder/av_handles.hpp"

namespace winebot::node {
namespace {

// The grabber's frame rate. x11grab waits for its frame clock before the first image too, so a
// high rate keeps that wait under a millisecond.
constexpr const char* kGrabberFrameRate = "1000";
// JPEG's own colour space: full-range YUV with 4:2:0 chroma, which every decoder reads.
constexpr AVPixelFormat kJpegPixelFormat = AV_PIX_FMT_YUV420P;

ScreenshotResult failed(ScreenshotFailure failure, std::string message) {
  ScreenshotResult result;
  result.failure = failure;
  result.message = std::move(message);
  return result;
}

// One image grabbed from the display: the packet's data is x11grab's, valid while `input` is
// open, because x11grab may hand out its shared-memory segment.
struct GrabbedImage {
  InputFormatHandle input;
  PacketHandle packet{av_packet_alloc()};
  AVPixelFormat format = AV_PIX_FMT_NONE;
  Resolution size;
};

ScreenshotResult grab_image(const std::string& display, GrabbedImage& image) {
  const AVInputFormat* grabber = av_find_input_format("x11grab");
  if (grabber == nullptr) {
    return failed(ScreenshotFailure::kDisplayUnavailable,
                  "this FFmpeg build has no x11grab input device");
  }
  AvOptions options;
  options.set("framerate", kGrabberFrameRate);
  options.set("draw_mouse", "0");
  AVFormatContext* opened = nullptr;
  int code = avformat_open_input(&opened, display.c_str(), grabber, options.address());
  if (code < 0) {
    return failed(ScreenshotFailure::kDisplayUnavailable,
                  "cannot open X display " + display + ": " + av_error_text(code));
  }
  image.input.reset(opened);
  if (image.input->nb_streams < 1 || !image.packet) {
    return failed(ScreenshotFailure::kDisplayUnavailable, "x11grab returned no video stream");
  }
  const AVCodecParameters* parameters = image.input->streams[0]->codecpar;
  image.format = static_cast<AVPixelFormat>(parameters->format);
  image.size = {parameters->width, parameters->height};

  code = av_read_frame(image.input.get(), image.packet.get());
  if (code < 0) {
    return failed(ScreenshotFailure::kDisplayUnavailable,
                  "x11grab on " + display + " failed: " + av_error_text(code));
  }
  const int expected =
      av_image_get_buffer_size(image.format, image.size.width, image.size.height, 1);
  if (image.packet->size < expected) {
    return failed(ScreenshotFailure::kDisplayUnavailable,
                  "x11grab returned " + std::to_string(image.packet->size) + " bytes, expected " +
                      std::to_string(expected) + " for " + image.size.text());
  }
  return {};
}

// A scaler to `size` in full-range YUV. sws_getContext cannot set the output range, so the
// context is configured through its AVOptions.
ScaleContextHandle make_scaler(const GrabbedImage& image, Resolution size) {
  ScaleContextHandle scaler(sws_alloc_context());
  if (!scaler) {
    return scaler;
  }
  // SWS_AREA averages every source pixel into the smaller image, which avoids the aliasing that
  // bicubic shows on text when shrinking by a large factor.
  const std::pair<const char*, std::int64_t> settings[] = {
      {"srcw", image.size.width},   {"srch", image.size.height},
      {"src_format", image.format}, {"dstw", size.width},
      {"dsth", size.height},        {"dst_format", kJpegPixelFormat},
      {"sws_flags", SWS_AREA},      {"dst_range", 1}};
  for (const auto& [name, value] : settings) {
    if (av_opt_set_int(scaler.get(), name, value, 0) < 0) {
      return nullptr;
    }
  }
  if (sws_init_context(scaler.get(), nullptr, nullptr) < 0) {
    return nullptr;
  }
  return scaler;
}

ScreenshotResult scale(const GrabbedImage& image, AVFrame& frame) {
  const auto scaler = make_scaler(image, {frame.width, frame.height});
  if (!scaler) {
    return failed(ScreenshotFailure::kEncoderFailed,
                  std::string("libswscale cannot convert ") + image.size.text() + " " +
                      av_get_pix_fmt_name(image.format) + " to " + std::to_string(frame.width) +
                      "x" + std::to_string(frame.height) + " yuv420p");
  }
  if (const int code = av_frame_get_buffer(&frame, 0); code < 0) {
    return failed(ScreenshotFailure::kEncoderFailed,
                  "cannot allocate a video frame: " + av_error_text(code));
  }
  std::uint8_t* planes[4] = {};
  int strides[4] = {};
  av_image_fill_arrays(planes, strides, image.packet->data, image.format, image.size.width,
                       image.size.height, 1);
  sws_scale(scaler.get(), planes, strides, 0, image.size.height, frame.data, frame.linesize);
  return {};
}

// Encodes `frame` as one JPEG image into `jpeg`.
ScreenshotResult encode(AVFrame& frame, std::string& jpeg) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  CodecContextHandle encoder(codec == nullptr ? nullptr : avcodec_alloc_context3(codec));
  if (!encoder) {
    return failed(ScreenshotFailure::kEncoderFailed, "this FFmpeg build has no mjpeg encoder");
  }
  encoder->width = frame.width;
  encoder->height = frame.height;
  encoder->pix_fmt = kJpegPixelFormat;
  encoder->color_range = AVCOL_RANGE_JPEG;
  encoder->time_base = AVRational{1, 1};
  // A fixed quantizer, as `-q:v` sets it: the encoder reads it from each frame's `quality`.
  encoder->flags |= AV_CODEC_FLAG_QSCALE;
  encoder->global_quality = FF_QP2LAMBDA * kJpegQuantizerScale;
  frame.quality = encoder->global_quality;
  frame.pts = 0;
  int code = avcodec_open2(encoder.get(), codec, nullptr);
  if (code < 0) {
    return failed(ScreenshotFailure::kEncoderFailed,
                  "cannot open the mjpeg encoder: " + av_error_text(code));
  }

  code = avcodec_send_frame(encoder.get(), &frame);
  if (code >= 0) {
    code = avcodec_send_frame(encoder.get(), nullptr);
  }
  PacketHandle packet(av_packet_alloc());
  while (code >= 0 && packet) {
    code = avcodec_receive_packet(encoder.get(), packet.get());
    if (code >= 0) {
      jpeg.append(reinterpret_cast<const char*>(packet->data), packet->size);
      av_packet_unref(packet.get());
    }
  }
  if (code != AVERROR_EOF || jpeg.empty()) {
    return failed(ScreenshotFailure::kEncoderFailed,
                  "the mjpeg encoder failed: " + av_error_text(code));
  }
  return {};
}

}  // namespace

Resolution thumbnail_size(Resolution display, int width) {
  if (display.empty() || width <= 0) {
    return {};
  }
  const int thumbnail_width = std::min(width, display.width);
  const long long height =
      (static_cast<long long>(display.height) * thumbnail_width + display.width / 2) /
      display.width;
  return {thumbnail_width, static_cast<int>(std::max(1LL, height))};
}

ScreenshotResult grab_screenshot(const std::string& display, int width) {
  prepare_ffmpeg();
  GrabbedImage image;
  if (auto result = grab_image(display, image); !result.ok()) {
    return result;
  }

  FrameHandle frame(av_frame_alloc());
  if (!frame) {
    return failed(ScreenshotFailure::kEncoderFailed, "out of memory allocating a frame");
  }
  const Resolution size = thumbnail_size(image.size, width);
  frame->format = kJpegPixelFormat;
  frame->width = size.width;
  frame->height = size.height;
  frame->color_range = AVCOL_RANGE_JPEG;
  if (auto result = scale(image, *frame); !result.ok()) {
    return result;
  }
  // The image is scaled into `frame`, so the X connection can close before encoding.
  av_packet_unref(image.packet.get());
  image.input.reset();

  ScreenshotResult result;
  if (auto error = encode(*frame, result.jpeg); !error.ok()) {
    return error;
  }
  result.size = size;
  return result;
}

}  // namespace winebot::node

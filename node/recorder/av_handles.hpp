#pragma once

// Owners for the FFmpeg (libav*) handles the recorder uses, and the one place where libav* error
// codes become text. No other recorder file frees a libav* handle by hand.

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace winebot::node {

// An input opened with avformat_open_input, closed with avformat_close_input.
struct InputFormatCloser {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
using InputFormatHandle = std::unique_ptr<AVFormatContext, InputFormatCloser>;

// An output from avformat_alloc_output_context2. Its AVIOContext, when open, is closed first.
struct OutputFormatCloser {
  void operator()(AVFormatContext* context) const {
    if (context->pb != nullptr && !(context->oformat->flags & AVFMT_NOFILE)) {
      avio_closep(&context->pb);
    }
    avformat_free_context(context);
  }
};
using OutputFormatHandle = std::unique_ptr<AVFormatContext, OutputFormatCloser>;

struct CodecContextFreer {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
using CodecContextHandle = std::unique_ptr<AVCodecContext, CodecContextFreer>;

struct FrameFreer {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
using FrameHandle = std::unique_ptr<AVFrame, FrameFreer>;

struct PacketFreer {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using PacketHandle = std::unique_ptr<AVPacket, PacketFreer>;

struct ScaleContextFreer {
  void operator()(SwsContext* context) const { sws_freeContext(context); }
};
using ScaleContextHandle = std::unique_ptr<SwsContext, ScaleContextFreer>;

struct DictionaryFreer {
  void operator()(AVDictionary* dictionary) const { av_dict_free(&dictionary); }
};

// Owns an AVDictionary of options. Functions that take `AVDictionary**` get `address()`; they
// may replace the dictionary with one holding the options they did not use.
class AvOptions {
 public:
  AvOptions() = default;
  AvOptions(const AvOptions&) = delete;
  AvOptions& operator=(const AvOptions&) = delete;
  ~AvOptions() { av_dict_free(&dictionary_); }

  void set(const char* key, const std::string& value) {
    av_dict_set(&dictionary_, key, value.c_str(), 0);
  }
  AVDictionary** address() { return &dictionary_; }
  // The first option left unused by the call, or "" when every option was used.
  std::string first_unused() const {
    const AVDictionaryEntry* entry = av_dict_get(dictionary_, "", nullptr, AV_DICT_IGNORE_SUFFIX);
    return entry == nullptr ? "" : entry->key;
  }

 private:
  AVDictionary* dictionary_ = nullptr;
};

// Registers libavdevice's devices and routes FFmpeg's log messages to the node's logger. Safe to
// call from any thread, any number of times; the first call does the work.
void prepare_ffmpeg();

// The text FFmpeg gives for an AVERROR code, such as "No space left on device".
inline std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(code, text, sizeof text) < 0) {
    return "FFmpeg error " + std::to_string(code);
  }
  return text;
}

}  // namespace winebot::node

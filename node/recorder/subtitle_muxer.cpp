#include "node/recorder/subtitle_muxer.hpp"

#include <cstring>
#include <deque>

#include "node/recorder/av_handles.hpp"

namespace winebot::node {
namespace {

constexpr AVRational kMilliseconds{1, 1000};

struct SubtitlePacket {
  int stream_index = 0;
  std::int64_t start_ms = 0;
  std::int64_t duration_ms = 0;
  std::string data;
};

std::string failure(const std::string& step, int code) {
  return step + ": " + av_error_text(code);
}

// Matroska keeps an ASS line without its "Dialogue: " prefix and with a read order in front.
std::deque<SubtitlePacket> subtitle_packets(const std::vector<SubtitleCue>& cues, int ass_index,
                                            int vtt_index) {
  std::deque<SubtitlePacket> packets;
  int read_order = 0;
  for (const auto& cue : cues) {
    const auto duration = std::max<std::int64_t>(0, cue.end_ms - cue.start_ms);
    for (const auto& fields : ass_dialogue_fields(cue)) {
      packets.push_back(
          {ass_index, cue.start_ms, duration, std::to_string(read_order++) + "," + fields});
    }
    packets.push_back({vtt_index, cue.start_ms, duration, vtt_cue_text(cue)});
  }
  return packets;
}

AVStream* add_subtitle_stream(AVFormatContext* output, AVCodecID codec, const char* title,
                              const std::string& private_data) {
  AVStream* stream = avformat_new_stream(output, nullptr);
  if (stream == nullptr) {
    return nullptr;
  }
  stream->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
  stream->codecpar->codec_id = codec;
  stream->time_base = kMilliseconds;
  av_dict_set(&stream->metadata, "title", title, 0);
  if (!private_data.empty()) {
    auto* extradata =
        static_cast<uint8_t*>(av_mallocz(private_data.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (extradata == nullptr) {
      return nullptr;
    }
    std::memcpy(extradata, private_data.data(), private_data.size());
    stream->codecpar->extradata = extradata;  // freed with the stream
    stream->codecpar->extradata_size = static_cast<int>(private_data.size());
  }
  return stream;
}

bool add_chapters(AVFormatContext* output, const std::vector<Chapter>& chapters) {
  for (std::size_t index = 0; index < chapters.size(); ++index) {
    auto* chapter = static_cast<AVChapter*>(av_mallocz(sizeof(AVChapter)));
    int count = static_cast<int>(output->nb_chapters);
    if (chapter == nullptr || av_dynarray_add_nofree(&output->chapters, &count, chapter) < 0) {
      av_free(chapter);
      return false;
    }
    output->nb_chapters = static_cast<unsigned>(count);
    // From here avformat_free_context frees the chapter and its metadata.
    chapter->id = static_cast<int64_t>(index + 1);
    chapter->time_base = kMilliseconds;
    chapter->start = chapters[index].start_ms;
    chapter->end = chapters[index].end_ms;
    av_dict_set(&chapter->metadata, "title", chapters[index].title.c_str(), 0);
  }
  return true;
}

int write_subtitle(AVFormatContext* output, const SubtitlePacket& subtitle) {
  PacketHandle packet(av_packet_alloc());
  if (!packet || av_new_packet(packet.get(), static_cast<int>(subtitle.data.size())) < 0) {
    return AVERROR(ENOMEM);
  }
  std::memcpy(packet->data, subtitle.data.data(), subtitle.data.size());
  const AVRational time_base = output->streams[subtitle.stream_index]->time_base;
  packet->stream_index = subtitle.stream_index;
  packet->pts = av_rescale_q(subtitle.start_ms, kMilliseconds, time_base);
  packet->dts = packet->pts;
  packet->duration = av_rescale_q(subtitle.duration_ms, kMilliseconds, time_base);
  packet->flags |= AV_PKT_FLAG_KEY;
  return av_write_frame(output, packet.get());
}

// Owns the output file while it is written; removes it unless commit() was called.
class PartialFile {
 public:
  explicit PartialFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~PartialFile() {
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  void commit() { committed_ = true; }

 private:
  std::filesystem::path path_;
  bool committed_ = false;
};

class Remux {
 public:
  explicit Remux(const SubtitleMuxPlan& plan) : plan_(plan) {}

  std::string run() {
    for (auto step : {&Remux::open_input, &Remux::open_output, &Remux::copy_packets}) {
      if (auto error = (this->*step)(); !error.empty()) {
        return error;
      }
    }
    return finish();
  }

 private:
  std::string open_input() {
    AVFormatContext* opened = nullptr;
    const int code = avformat_open_input(&opened, plan_.video_in.c_str(), nullptr, nullptr);
    if (code < 0) {
      return failure("cannot open " + plan_.video_in.string(), code);
    }
    input_.reset(opened);
    // Reading a few packets lets the H.264 parser work out decoding times, which Matroska does
    // not store. A file cut off by a crash may fail this step and is still copied.
    avformat_find_stream_info(input_.get(), nullptr);
    video_in_ = av_find_best_stream(input_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (video_in_ < 0) {
      return failure("no video stream in " + plan_.video_in.string(), video_in_);
    }
    return "";
  }

  std::string open_output() {
    AVFormatContext* allocated = nullptr;
    int code =
        avformat_alloc_output_context2(&allocated, nullptr, "matroska", plan_.video_out.c_str());
    if (code < 0) {
      return failure("cannot create a Matroska muxer", code);
    }
    output_.reset(allocated);
    if (auto error = add_streams(); !error.empty()) {
      return error;
    }
    code = avio_open(&output_->pb, plan_.video_out.c_str(), AVIO_FLAG_WRITE);
    if (code < 0) {
      return failure("cannot create " + plan_.video_out.string(), code);
    }
    partial_.emplace(plan_.video_out);
    code = avformat_write_header(output_.get(), nullptr);
    return code < 0 ? failure("cannot write the header of " + plan_.video_out.string(), code) : "";
  }

  std::string add_streams() {
    const AVStream* source = input_->streams[video_in_];
    AVStream* video = avformat_new_stream(output_.get(), nullptr);
    if (video == nullptr || avcodec_parameters_copy(video->codecpar, source->codecpar) < 0) {
      return "out of memory copying the video stream";
    }
    video->codecpar->codec_tag = 0;
    video->time_base = source->time_base;
    video->avg_frame_rate = source->avg_frame_rate;

    AVStream* ass = add_subtitle_stream(output_.get(), AV_CODEC_ID_ASS, "Overlays (ASS)",
                                        ass_header(plan_.resolution));
    AVStream* vtt = add_subtitle_stream(output_.get(), AV_CODEC_ID_WEBVTT, "Events (VTT)", "");
    if (ass == nullptr || vtt == nullptr) {
      return "out of memory adding the subtitle streams";
    }
    ass->disposition = AV_DISPOSITION_DEFAULT;
    subtitles_ = subtitle_packets(plan_.cues, ass->index, vtt->index);

    av_dict_copy(&output_->metadata, input_->metadata, 0);
    for (const auto& [key, value] : plan_.tags) {
      if (!value.empty()) {
        av_dict_set(&output_->metadata, key.c_str(), value.c_str(), 0);
      }
    }
    return add_chapters(output_.get(), plan_.chapters) ? "" : "out of memory adding chapters";
  }

  std::string write_subtitles_until(std::int64_t ms) {
    while (!subtitles_.empty() && subtitles_.front().start_ms <= ms) {
      if (const int code = write_subtitle(output_.get(), subtitles_.front()); code < 0) {
        return failure("cannot write subtitles to " + plan_.video_out.string(), code);
      }
      subtitles_.pop_front();
    }
    return "";
  }

  std::string copy_packets() {
    PacketHandle packet(av_packet_alloc());
    if (!packet) {
      return "out of memory allocating a packet";
    }
    const AVRational in_base = input_->streams[video_in_]->time_base;
    const AVRational out_base = output_->streams[0]->time_base;
    // A read error ends the copy: a file cut off by a crash ends in a torn cluster.
    while (av_read_frame(input_.get(), packet.get()) >= 0) {
      if (packet->dts == AV_NOPTS_VALUE) {
        packet->dts = packet->pts;  // without B-frames decoding order is presentation order
      }
      const bool usable = packet->stream_index == video_in_ && packet->dts != AV_NOPTS_VALUE;
      if (usable) {
        if (auto error = write_subtitles_until(av_rescale_q(packet->dts, in_base, kMilliseconds));
            !error.empty()) {
          return error;
        }
        av_packet_rescale_ts(packet.get(), in_base, out_base);
        packet->stream_index = 0;
        packet->pos = -1;
        if (const int code = av_write_frame(output_.get(), packet.get()); code < 0) {
          return failure("cannot write to " + plan_.video_out.string(), code);
        }
        ++copied_;
      }
      av_packet_unref(packet.get());
    }
    if (copied_ == 0) {
      return "no readable video packets in " + plan_.video_in.string();
    }
    return write_subtitles_until(INT64_MAX);
  }

  std::string finish() {
    int code = av_write_trailer(output_.get());
    if (code < 0) {
      return failure("cannot write the trailer of " + plan_.video_out.string(), code);
    }
    code = avio_closep(&output_->pb);
    if (code < 0) {
      return failure("cannot close " + plan_.video_out.string(), code);
    }
    partial_->commit();
    return "";
  }

  const SubtitleMuxPlan& plan_;
  InputFormatHandle input_;
  // Declared before output_, so the output is closed before a failed file is removed.
  std::optional<PartialFile> partial_;
  OutputFormatHandle output_;
  int video_in_ = -1;
  std::uint64_t copied_ = 0;
  std::deque<SubtitlePacket> subtitles_;
};

}  // namespace

std::string mux_subtitles(const SubtitleMuxPlan& plan) {
  prepare_ffmpeg();
  return Remux(plan).run();
}

std::optional<std::int64_t> video_duration_ms(const std::filesystem::path& video) {
  prepare_ffmpeg();
  AVFormatContext* opened = nullptr;
  if (avformat_open_input(&opened, video.c_str(), nullptr, nullptr) < 0) {
    return std::nullopt;
  }
  InputFormatHandle input(opened);
  if (input->duration == AV_NOPTS_VALUE || input->duration <= 0) {
    return std::nullopt;
  }
  return av_rescale_q(input->duration, AV_TIME_BASE_Q, kMilliseconds);
}

}  // namespace winebot::node

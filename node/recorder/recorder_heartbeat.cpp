#include "node/recorder/recorder_heartbeat.hpp"

namespace winebot::node {

bool RecorderHeartbeat::healthy(const std::filesystem::path& video,
                                std::optional<std::uint64_t> size,
                                std::chrono::steady_clock::time_point started,
                                std::chrono::steady_clock::time_point now) {
  if (!size) {
    return now - started <= grace_;
  }
  if (video != path_ || *size > size_) {
    path_ = video;
    size_ = *size;
    last_growth_ = now;
    return true;
  }
  return now - last_growth_ <= stale_;
}

}  // namespace winebot::node

#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace winebot::node {

// Judges whether a recording is alive from the growth of its video file, as WineBot's
// /health/recording does. A new file, or one that grew since the last check, is healthy. A file
// that stopped growing stays healthy for `stale` after its last growth. Until the first check has a
// file, a recording younger than `grace` is healthy.
// Threading: belongs to the io_context thread.
class RecorderHeartbeat {
 public:
  RecorderHeartbeat(std::chrono::milliseconds stale, std::chrono::milliseconds grace)
      : stale_(stale), grace_(grace) {}

  // Checks the file at `video` (its size now) at time `now`; `started` is when recording began.
  bool healthy(const std::filesystem::path& video, std::optional<std::uint64_t> size,
               std::chrono::steady_clock::time_point started,
               std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds stale_;
  std::chrono::milliseconds grace_;
  std::filesystem::path path_;
  std::uint64_t size_ = 0;
  std::chrono::steady_clock::time_point last_growth_;
};

}  // namespace winebot::node

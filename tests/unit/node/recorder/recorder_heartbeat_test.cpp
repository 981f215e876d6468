#include "node/recorder/recorder_heartbeat.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using winebot::node::RecorderHeartbeat;

std::uint64_t size_of(const std::filesystem::path& path) {
  return std::filesystem::file_size(path);
}

}  // namespace

TEST_CASE("Heartbeat healthy after video growth", "[recorder]") {
  winebot::test::TempFolder folder;
  const auto video = folder.file("video_001.mkv");
  std::ofstream(video, std::ios::binary) << "header";
  RecorderHeartbeat heartbeat(1s, 0s);
  const auto start = Clock::now();

  CHECK(heartbeat.healthy(video, size_of(video), start, start));
  std::ofstream(video, std::ios::binary | std::ios::app) << "cluster";
  CHECK(heartbeat.healthy(video, size_of(video), start, start + 5s));
}

TEST_CASE("Heartbeat unhealthy after stale time", "[recorder]") {
  RecorderHeartbeat heartbeat(1s, 0s);
  const auto start = Clock::now();

  CHECK(heartbeat.healthy("video_001.mkv", 100, start, start));
  CHECK(heartbeat.healthy("video_001.mkv", 100, start, start + 1s));
  CHECK_FALSE(heartbeat.healthy("video_001.mkv", 100, start, start + 1200ms));
  CHECK(heartbeat.healthy("video_001.mkv", 101, start, start + 1300ms));
}

TEST_CASE("Heartbeat without file uses grace", "[recorder]") {
  RecorderHeartbeat heartbeat(30s, 15s);
  const auto start = Clock::now();

  CHECK(heartbeat.healthy("video_001.mkv", std::nullopt, start, start + 15s));
  CHECK_FALSE(heartbeat.healthy("video_001.mkv", std::nullopt, start, start + 16s));
}

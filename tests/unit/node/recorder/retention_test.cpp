#include "node/recorder/retention.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::node::apply_retention;
using winebot::node::RetentionSettings;

void write(const std::filesystem::path& path, std::size_t bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
}

}  // namespace

TEST_CASE("Retention keeps the two newest segments", "[recorder]") {
  winebot::test::TempFolder session;
  for (const char* segment : {"001", "002", "003"}) {
    write(session.file(std::string("video_") + segment + ".mkv"), 10);
    write(session.file(std::string("events_") + segment + ".jsonl"), 10);
    write(session.file(std::string("segment_") + segment + ".json"), 10);
  }
  write(session.file("session.json"), 10);
  RetentionSettings settings;
  settings.max_segments = 2;

  const auto result =
      apply_retention(session.path(), settings, 0, std::chrono::system_clock::now());

  CHECK(result.deleted ==
        std::vector<std::string>{"events_001.jsonl", "segment_001.json", "video_001.mkv"});
  CHECK(result.bytes_freed == 30);
  CHECK_FALSE(std::filesystem::exists(session.file("video_001.mkv")));
  CHECK(std::filesystem::exists(session.file("video_002.mkv")));
  CHECK(std::filesystem::exists(session.file("video_003.mkv")));
  CHECK(std::filesystem::exists(session.file("session.json")));
}

TEST_CASE("Retention handles segment 1000", "[recorder]") {
  winebot::test::TempFolder session;
  write(session.file("video_999.mkv"), 1);
  write(session.file("video_1000.mkv"), 1);
  RetentionSettings settings;
  settings.max_segments = 1;

  apply_retention(session.path(), settings, 0, std::chrono::system_clock::now());

  CHECK_FALSE(std::filesystem::exists(session.file("video_999.mkv")));
  CHECK(std::filesystem::exists(session.file("video_1000.mkv")));
}

TEST_CASE("Retention by size deletes the oldest first", "[recorder]") {
  winebot::test::TempFolder session;
  write(session.file("video_001.mkv"), 100);
  write(session.file("video_002.mkv"), 100);
  write(session.file("logs/input_events.jsonl"), 100);
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(2);
  std::filesystem::last_write_time(session.file("video_001.mkv"), old);
  RetentionSettings settings;
  settings.max_bytes = 250;

  const auto result =
      apply_retention(session.path(), settings, 0, std::chrono::system_clock::now());

  CHECK(result.deleted == std::vector<std::string>{"video_001.mkv"});
}

TEST_CASE("Retention by age deletes old candidates only", "[recorder]") {
  winebot::test::TempFolder session;
  write(session.file("video_001.mkv"), 1);
  write(session.file("notes.txt"), 1);
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(49);
  std::filesystem::last_write_time(session.file("video_001.mkv"), old);
  std::filesystem::last_write_time(session.file("notes.txt"), old);
  RetentionSettings settings;
  settings.max_age_days = 2;

  const auto result =
      apply_retention(session.path(), settings, 0, std::chrono::system_clock::now());

  CHECK(result.deleted == std::vector<std::string>{"video_001.mkv"});
  CHECK(std::filesystem::exists(session.file("notes.txt")));
}

TEST_CASE("Retention is off by default", "[recorder]") {
  winebot::test::TempFolder session;
  write(session.file("video_001.mkv"), 1);

  const auto result =
      apply_retention(session.path(), RetentionSettings{}, 0, std::chrono::system_clock::now());

  CHECK(result.deleted.empty());
}

#include "node/recorder/session_folder.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::node::SessionFacts;
using winebot::node::SessionFolder;
using winebot::node::start_time_ms;

}  // namespace

TEST_CASE("SessionFolder id has WineBot's shape", "[recorder]") {
  winebot::test::TempFolder root;
  const auto now = std::chrono::system_clock::from_time_t(1767312000);  // 2026-01-02 00:00 UTC

  const auto folder = SessionFolder::create(root.path(), "  my run/#2 ", now);

  CHECK(std::regex_match(folder.id(),
                         std::regex(R"(session-2026-01-02-1767312000-[0-9a-f]{6}-my-run-2)")));
  for (const char* sub : {"logs", "screenshots", "scripts", "user"}) {
    CHECK(std::filesystem::is_directory(folder.path() / sub));
  }
}

TEST_CASE("SessionFolder label cleaning", "[recorder]") {
  CHECK(SessionFolder::sanitise_label("--a..b__c--") == "a..b__c");
  CHECK(SessionFolder::sanitise_label("x  y") == "x-y");
  CHECK(SessionFolder::sanitise_label("!!!") == "");
  CHECK(SessionFolder::sanitise_label("") == "");
}

TEST_CASE("SessionFolder allocates segments in order", "[recorder]") {
  winebot::test::TempFolder root;
  const SessionFolder folder(root.path());

  CHECK(folder.allocate_segment() == 1);
  CHECK(folder.allocate_segment() == 2);
  CHECK(folder.read_text("segment_index.txt") == "3");
}

TEST_CASE("SessionFolder falls back to the highest video number", "[recorder]") {
  winebot::test::TempFolder root;
  std::ofstream(root.file("video_004.mkv")) << "";
  std::ofstream(root.file("video_009_part002.mkv")) << "";
  std::ofstream(root.file("segment_index.txt")) << "garbage";
  const SessionFolder folder(root.path());

  CHECK(folder.allocate_segment() == 5);
}

TEST_CASE("SessionFolder manifest keeps timeline id", "[recorder]") {
  winebot::test::TempFolder root;
  std::ofstream(root.file("session.json")) << R"({"session_id":"kept","resolution":"","x":1})";
  const SessionFolder folder(root.path());
  const auto now = std::chrono::system_clock::now();

  const auto timeline = folder.ensure_manifest({"host", ":99", "1280x720", 15, ""}, now);
  const auto again = folder.ensure_manifest({"other", ":1", "640x480", 30, ""}, now);
  const auto manifest = folder.read_manifest();

  CHECK(std::regex_match(timeline, std::regex("timeline-[0-9a-f]{32}")));
  CHECK(again == timeline);
  CHECK(manifest["session_id"] == "kept");
  CHECK(manifest["resolution"] == "1280x720");
  CHECK(manifest["hostname"] == "host");
  CHECK(manifest["x"] == 1);
  CHECK(manifest["schema_version"] == "1.0");
  CHECK(manifest["git_sha"].is_null());
}

TEST_CASE("Manifest start time units", "[recorder]") {
  CHECK(*start_time_ms({{"start_time_epoch", 1767312000.5}}) == Approx(1767312000500.0));
  CHECK(*start_time_ms({{"start_time_epoch", 1767312000500.0}}) == Approx(1767312000500.0));
  CHECK_FALSE(start_time_ms({{"start_time_epoch", "soon"}}));
}

TEST_CASE("Segment names use three digits", "[recorder]") {
  CHECK(winebot::node::segment_name(7) == "007");
  CHECK(winebot::node::segment_name(1234) == "1234");
}

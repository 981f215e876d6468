#include "node/recorder/recorder_event.hpp"

#include <catch2/catch.hpp>

namespace {

using winebot::node::EventPosition;
using winebot::node::format_recorder_event;
using winebot::node::parse_recorder_event;
using winebot::node::RecorderEvent;

RecorderEvent sample_event() {
  RecorderEvent event;
  event.session_id = "session-2026-01-02-1767312000-abc123";
  event.t_rel_ms = 1500;
  event.t_epoch_ms = 1767312001500;
  event.kind = "annotation";
  event.message = "Clicked OK";
  event.pos = EventPosition{100, 120.5, 40, std::nullopt};
  event.tags = {"ui", "agent"};
  event.source = "annotate";
  event.extra = {{"trace_id", "t1"}};
  return event;
}

}  // namespace

TEST_CASE("RecorderEvent round-trips with pos and schema version", "[recorder]") {
  const auto event = sample_event();
  const auto line = format_recorder_event(event);
  const auto parsed = parse_recorder_event(line);

  REQUIRE(parsed);
  CHECK(format_recorder_event(*parsed) == line);
  REQUIRE(parsed->pos);
  CHECK(parsed->pos->x == 100);
  CHECK(parsed->pos->y == 120.5);
  CHECK(parsed->pos->width == 40);
  CHECK_FALSE(parsed->pos->height);
  CHECK(parsed->schema_version == "1.0");
  CHECK(line.find("\"schema_version\":\"1.0\"") != std::string::npos);
}

TEST_CASE("RecorderEvent keeps WineBot's key order", "[recorder]") {
  const auto line = format_recorder_event(sample_event());
  const char* keys[] = {"\"session_id\"", "\"t_rel_ms\"", "\"t_epoch_ms\"",    "\"level\"",
                        "\"kind\"",       "\"message\"",  "\"pos\"",           "\"tags\"",
                        "\"source\"",     "\"extra\"",    "\"schema_version\""};
  std::size_t previous = 0;
  for (const char* key : keys) {
    const auto at = line.find(key);
    REQUIRE(at != std::string::npos);
    CHECK(at >= previous);
    previous = at;
  }
}

TEST_CASE("RecorderEvent leaves out empty pos, style and source", "[recorder]") {
  RecorderEvent event;
  event.kind = "recorder_start";
  const auto line = format_recorder_event(event);

  CHECK(line.find("\"pos\"") == std::string::npos);
  CHECK(line.find("\"style\"") == std::string::npos);
  CHECK(line.find("\"source\"") == std::string::npos);
  CHECK(line.find("\"tags\":[]") != std::string::npos);
  CHECK(line.find("\"extra\":{}") != std::string::npos);
}

TEST_CASE("RecorderEvent reader backfills a missing schema version", "[recorder]") {
  const auto parsed = parse_recorder_event(
      R"({"session_id":"s","t_rel_ms":12.9,"t_epoch_ms":5,"kind":"lifecycle","message":"m"})");

  REQUIRE(parsed);
  CHECK(parsed->schema_version == "1.0");
  CHECK(parsed->t_rel_ms == 12);
  CHECK(parsed->level == "INFO");
}

TEST_CASE("RecorderEvent reader ignores unknown keys and rejects non-objects", "[recorder]") {
  const auto parsed = parse_recorder_event(R"({"kind":"chapter","surprise":[1,2],"pos":"x"})");

  REQUIRE(parsed);
  CHECK(parsed->kind == "chapter");
  CHECK_FALSE(parsed->pos);
  CHECK_FALSE(parse_recorder_event("[1,2]"));
  CHECK_FALSE(parse_recorder_event("{torn"));
  CHECK_FALSE(parse_recorder_event(""));
}

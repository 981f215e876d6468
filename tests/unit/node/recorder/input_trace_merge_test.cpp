#include "node/recorder/input_trace_merge.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::node::InputTraceSettings;
using winebot::node::load_input_trace_events;
using winebot::node::redact_fields;

void write_log(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("Input trace merge redacts key and token", "[recorder]") {
  winebot::test::TempFolder session;
  write_log(
      session.file("logs/input_events.jsonl"),
      R"({"event":"key_press","timestamp_epoch_ms":2000,"key":"a","token":"s3cret","origin":"agent"})"
      "\n"
      R"({"event":"motion","timestamp_epoch_ms":2100,"x":1,"y":2})"
      "\n");
  InputTraceSettings settings;

  const auto events = load_input_trace_events(session.path(), "s", 1000, 10000, settings);

  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == "input");
  CHECK(events[0].t_rel_ms == 1000);
  CHECK(events[0].extra["key"] == "<redacted>");
  CHECK(events[0].extra["token"] == "<redacted>");
  CHECK(events[0].extra["origin"] == "agent");
  CHECK(events[0].message == "key_press key=<redacted> origin=agent");
}

TEST_CASE("Input trace merge keeps only the segment's window", "[recorder]") {
  winebot::test::TempFolder session;
  write_log(session.file("logs/input_events_client.jsonl"),
            "{\"event\":\"client_mouse_down\",\"timestamp_epoch_ms\":500}\n"
            "{\"event\":\"client_mouse_down\",\"timestamp_epoch_ms\":1500,\"x\":5,\"y\":6}\n"
            "not json\n"
            "{\"event\":\"client_mouse_down\",\"timestamp_epoch_ms\":9500}\n");

  const auto events = load_input_trace_events(session.path(), "s", 1000, 9000, {});

  REQUIRE(events.size() == 1);
  CHECK(events[0].t_rel_ms == 500);
  REQUIRE(events[0].pos);
  CHECK(events[0].pos->x == 5);
  CHECK(events[0].tags == std::vector<std::string>{"input", "client"});
}

TEST_CASE("Input trace merge needs VNC buttons", "[recorder]") {
  winebot::test::TempFolder session;
  write_log(session.file("logs/input_events_network.jsonl"),
            "{\"event\":\"vnc_pointer\",\"t_wall_ms\":2000,\"button_mask\":0}\n"
            "{\"event\":\"vnc_pointer\",\"t_wall_ms\":2001,\"button_mask\":1}\n");

  const auto events = load_input_trace_events(session.path(), "s", 0, 5000, {});

  REQUIRE(events.size() == 1);
  CHECK(events[0].message == "vnc_pointer mask=1");
}

TEST_CASE("Input trace merge keeps newest events", "[recorder]") {
  winebot::test::TempFolder session;
  std::string lines;
  for (int index = 1; index <= 5; ++index) {
    lines +=
        "{\"event\":\"mouse_down\",\"timestamp_epoch_ms\":" + std::to_string(index * 100) + "}\n";
  }
  write_log(session.file("logs/input_events_windows.jsonl"), lines);
  InputTraceSettings settings;
  settings.max_events = 2;

  const auto events = load_input_trace_events(session.path(), "s", 0, 1000, settings);

  REQUIRE(events.size() == 2);
  CHECK(events[0].t_rel_ms == 400);
  CHECK(events[1].t_rel_ms == 500);
}

TEST_CASE("Redaction keeps numbers, booleans and null", "[recorder]") {
  const auto redacted = redact_fields({{"keycode", 38},
                                       {"password", nullptr},
                                       {"api_key", true},
                                       {"nested", {{"secret", "x"}}},
                                       {"text", "hello"},
                                       {"x", "visible"}},
                                      {"keycode", "text"});

  CHECK(redacted["keycode"] == 38);
  CHECK(redacted["password"].is_null());
  CHECK(redacted["api_key"] == true);
  CHECK(redacted["nested"]["secret"] == "<redacted>");
  CHECK(redacted["text"] == "<redacted>");
  CHECK(redacted["x"] == "visible");
}

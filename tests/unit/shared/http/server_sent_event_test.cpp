#include "shared/http/server_sent_event.hpp"

#include <catch2/catch.hpp>
#include <string>

using winebot::shared::format_comment;
using winebot::shared::format_event;
using winebot::shared::ServerSentEvent;

TEST_CASE("format_event writes id, event and data lines", "[stream]") {
  const auto text = format_event({"42", "node.update", R"({"id":"a"})"});

  CHECK(text == "id: 42\nevent: node.update\ndata: {\"id\":\"a\"}\n\n");
}

TEST_CASE("format_event leaves out an empty id and event", "[stream]") {
  CHECK(format_event({"", "", "x"}) == "data: x\n\n");
  CHECK(format_event({"", "dropped", "x"}) == "event: dropped\ndata: x\n\n");
  CHECK(format_event({"7", "", "x"}) == "id: 7\ndata: x\n\n");
}

TEST_CASE("format_event splits multi-line data at every line ending", "[stream]") {
  const auto cases = {
      std::pair<std::string, std::string>{"a\nb", "data: a\ndata: b\n\n"},
      {"a\r\nb", "data: a\ndata: b\n\n"},
      {"a\rb", "data: a\ndata: b\n\n"},
      {"a\n\nb", "data: a\ndata: \ndata: b\n\n"},
      {"a\n", "data: a\ndata: \n\n"},
      {"\r\n", "data: \ndata: \n\n"},
      {"a\r\rb", "data: a\ndata: \ndata: b\n\n"},
  };
  for (const auto& [data, expected] : cases) {
    INFO("data: " << data);
    CHECK(format_event({"", "", data}) == expected);
  }
}

TEST_CASE("format_event writes empty data as one data line", "[stream]") {
  CHECK(format_event({"1", "ping", ""}) == "id: 1\nevent: ping\ndata: \n\n");
}

TEST_CASE("format_event keeps a leading space of data", "[stream]") {
  // The parser strips one space after the colon, so the second survives.
  CHECK(format_event({"", "", " indented"}) == "data:  indented\n\n");
}

TEST_CASE("format_event strips line breaks from id and event", "[stream]") {
  using namespace std::string_literals;
  const auto text = format_event({"1\r\n2\0"s + "3", "bad\nname\r", "x"});

  CHECK(text == "id: 123\nevent: badname\ndata: x\n\n");
}

TEST_CASE("format_comment prefixes every line with a colon", "[stream]") {
  CHECK(format_comment("heartbeat") == ": heartbeat\n\n");
  CHECK(format_comment("one\ntwo") == ": one\n: two\n\n");
  CHECK(format_comment("") == ": \n\n");
}

#include "hub/stream/event_bus.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace winebot::hub {
namespace {

// The ids of the events in `text`, in order.
std::vector<std::uint64_t> ids_in(const std::string& text) {
  std::vector<std::uint64_t> ids;
  std::size_t start = 0;
  while ((start = text.find("id: ", start)) != std::string::npos) {
    if (start == 0 || text[start - 1] == '\n') {
      ids.push_back(std::stoull(text.substr(start + 4, text.find('\n', start) - start - 4)));
    }
    start += 4;
  }
  return ids;
}

void publish_range(EventBus& bus, int count) {
  for (int index = 0; index < count; ++index) {
    bus.publish("node.update", {{"index", index}});
  }
}

TEST_CASE("EventBus assigns increasing ids from first_id", "[stream]") {
  EventBus bus(100);
  CHECK(bus.last_id() == 99);

  CHECK(bus.publish("a", nlohmann::json::object()) == 100);
  CHECK(bus.publish("b", nlohmann::json::object()) == 101);
  CHECK(bus.last_id() == 101);
}

TEST_CASE("EventBus keeps the newest events in its ring", "[stream]") {
  EventBus bus(1, 3);
  publish_range(bus, 5);

  CHECK(bus.ring_size() == 3);
  const auto subscription = bus.subscribe(std::string("2"));
  CHECK(ids_in(subscription->take_pending()) == std::vector<std::uint64_t>{3, 4, 5});
}

TEST_CASE("EventBus sends live events to every subscriber", "[stream]") {
  EventBus bus;
  publish_range(bus, 2);
  const auto first = bus.subscribe(std::nullopt);
  const auto second = bus.subscribe(std::nullopt);

  bus.publish("node.state", {{"to", "online"}});

  CHECK(bus.subscriber_count() == 2);
  const auto text = first->take_pending();
  CHECK(ids_in(text) == std::vector<std::uint64_t>{3});
  CHECK(text == "id: 3\nevent: node.state\ndata: {\"to\":\"online\"}\n\n");
  CHECK(second->take_pending() == text);
}

TEST_CASE("EventBus resumes after a Last-Event-ID", "[stream]") {
  EventBus bus(1, 10);
  publish_range(bus, 6);

  CHECK(ids_in(bus.subscribe(std::string("4"))->take_pending()) ==
        std::vector<std::uint64_t>{5, 6});
  CHECK(bus.subscribe(std::string("6"))->take_pending().empty());
  CHECK(ids_in(bus.subscribe(std::string("0"))->take_pending()) ==
        std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("EventBus resumes from just before its oldest event", "[stream]") {
  EventBus bus(1, 3);
  publish_range(bus, 6);  // The ring keeps 4, 5 and 6.

  const auto text = bus.subscribe(std::string("3"))->take_pending();

  CHECK(text.find("event: reset") == std::string::npos);
  CHECK(ids_in(text) == std::vector<std::uint64_t>{4, 5, 6});
}

TEST_CASE("EventBus resets a client older than its ring", "[stream]") {
  EventBus bus(1, 3);
  publish_range(bus, 6);

  const auto text = bus.subscribe(std::string("2"))->take_pending();

  CHECK(text.rfind("id: 6\nevent: reset\n", 0) == 0);
  CHECK_THAT(text, Catch::Contains("older than the events the hub keeps"));
  CHECK(ids_in(text) == std::vector<std::uint64_t>{6});
}

TEST_CASE("EventBus resets an id from another hub run", "[stream]") {
  EventBus bus(1000);
  publish_range(bus, 2);

  const auto newer = bus.subscribe(std::string("5000"))->take_pending();
  const auto older = bus.subscribe(std::string("12"))->take_pending();

  CHECK_THAT(newer, Catch::StartsWith("id: 1001\nevent: reset\n"));
  CHECK_THAT(newer, Catch::Contains("newer than any event"));
  CHECK_THAT(older, Catch::StartsWith("id: 1001\nevent: reset\n"));
}

TEST_CASE("EventBus resets a malformed Last-Event-ID", "[stream]") {
  for (const char* id : {"", "abc", "-1", "+1", " 1", "1 ", "99999999999999999999999"}) {
    INFO("Last-Event-ID: '" << id << "'");
    EventBus bus;
    publish_range(bus, 1);
    const auto text = bus.subscribe(std::string(id))->take_pending();
    CHECK_THAT(text, Catch::Contains("event: reset"));
    CHECK_THAT(text, Catch::Contains("not a decimal event id"));
  }
}

TEST_CASE("EventBus resets without id before its first event", "[stream]") {
  EventBus bus(10);

  CHECK(bus.subscribe(std::string("9"))->take_pending().empty());
  const auto text = bus.subscribe(std::string("3"))->take_pending();
  CHECK_THAT(text, Catch::StartsWith("event: reset\n"));
  CHECK(nlohmann::json::parse(text.substr(text.find("data: ") + 6))["oldest_id"].is_null());
}

TEST_CASE("EventBus counts drops per client and in total", "[stream]") {
  EventBus bus(1, 100, 4);
  const auto slow = bus.subscribe(std::nullopt);
  const auto fast = bus.subscribe(std::nullopt);

  for (int index = 0; index < 10; ++index) {
    bus.publish("node.update", {{"index", index}});
    fast->take_pending();
  }

  CHECK(slow->dropped_count() == 6);
  CHECK(fast->dropped_count() == 0);
  CHECK(bus.dropped_total() == 6);
  const auto text = slow->take_pending();
  CHECK_THAT(text, Catch::StartsWith("event: dropped\n"));
  CHECK_THAT(text, Catch::Contains(R"("count":6)"));
  CHECK_THAT(text, Catch::Contains(R"("first_id":1)"));
  CHECK_THAT(text, Catch::Contains(R"("last_id":6)"));
  CHECK(ids_in(text) == std::vector<std::uint64_t>{7, 8, 9, 10});
}

TEST_CASE("EventBus replays a long gap through the bounded queue", "[stream]") {
  EventBus bus(1, 100, 4);
  publish_range(bus, 10);

  const auto subscription = bus.subscribe(std::string("0"));

  CHECK(subscription->dropped_count() == 6);
  CHECK(bus.dropped_total() == 6);
  CHECK(ids_in(subscription->take_pending()) == std::vector<std::uint64_t>{7, 8, 9, 10});
}

TEST_CASE("EventBus forgets closed and released subscribers", "[stream]") {
  EventBus bus;
  auto closed = bus.subscribe(std::nullopt);
  auto released = bus.subscribe(std::nullopt);
  const auto open = bus.subscribe(std::nullopt);

  closed->on_closed();
  released.reset();
  bus.publish("node.update", nlohmann::json::object());

  CHECK(bus.subscriber_count() == 1);
  CHECK(closed->queued_count() == 0);
  CHECK(open->queued_count() == 1);
}

TEST_CASE("parse_event_id accepts only decimal numbers", "[stream]") {
  CHECK(parse_event_id("0") == 0u);
  CHECK(parse_event_id("1700000000000000") == 1700000000000000u);
  CHECK(parse_event_id("18446744073709551615") == 18446744073709551615u);
  CHECK_FALSE(parse_event_id("18446744073709551616"));
  CHECK_FALSE(parse_event_id(""));
  CHECK_FALSE(parse_event_id("1a"));
  CHECK_FALSE(parse_event_id("0x10"));
}

}  // namespace
}  // namespace winebot::hub

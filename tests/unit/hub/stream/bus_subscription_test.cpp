#include "hub/stream/bus_subscription.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace winebot::hub {
namespace {

HubEvent event(std::uint64_t id) {
  return {id, "node.update", "{\"n\":" + std::to_string(id) + "}"};
}

// The data of the first `dropped` event in `text`.
nlohmann::json dropped_data(const std::string& text) {
  const std::string marker = "event: dropped\ndata: ";
  const auto start = text.find(marker);
  REQUIRE(start != std::string::npos);
  const auto end = text.find('\n', start + marker.size());
  return nlohmann::json::parse(text.substr(start + marker.size(), end - start - marker.size()));
}

TEST_CASE("BusSubscription formats queued events in order", "[stream]") {
  BusSubscription subscription(1, 4);
  subscription.push(event(5));
  subscription.push(event(6));

  const auto text = subscription.take_pending();

  CHECK(text ==
        "id: 5\nevent: node.update\ndata: {\"n\":5}\n\n"
        "id: 6\nevent: node.update\ndata: {\"n\":6}\n\n");
  CHECK(subscription.queued_count() == 0);
  CHECK(subscription.take_pending().empty());
}

TEST_CASE("BusSubscription drops the oldest event when full", "[stream]") {
  BusSubscription subscription(1, 3);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    CHECK_FALSE(subscription.push(event(id)));
  }
  CHECK(subscription.push(event(4)));
  CHECK(subscription.push(event(5)));

  CHECK(subscription.queued_count() == 3);
  CHECK(subscription.dropped_count() == 2);
  const auto text = subscription.take_pending();
  CHECK(text.rfind("event: dropped\n", 0) == 0);
  const auto data = dropped_data(text);
  CHECK(data["count"] == 2);
  CHECK(data["client_total"] == 2);
  CHECK(data["first_id"] == 1);
  CHECK(data["last_id"] == 2);
  CHECK(text.find("id: 1\n") == std::string::npos);
  CHECK(text.find("id: 2\n") == std::string::npos);
  CHECK(text.find("id: 3\n") < text.find("id: 5\n"));
}

TEST_CASE("BusSubscription reports each drop once", "[stream]") {
  BusSubscription subscription(1, 1);
  subscription.push(event(1));
  subscription.push(event(2));
  CHECK(dropped_data(subscription.take_pending())["count"] == 1);

  subscription.push(event(3));
  CHECK(subscription.take_pending().find("dropped") == std::string::npos);

  subscription.push(event(4));
  subscription.push(event(5));
  const auto data = dropped_data(subscription.take_pending());
  CHECK(data["count"] == 1);
  CHECK(data["client_total"] == 2);
  CHECK(data["first_id"] == 4);
}

TEST_CASE("BusSubscription sends reset before everything else", "[stream]") {
  BusSubscription subscription(1, 1);
  subscription.push(event(8));
  subscription.push(event(9));
  subscription.push_reset(7, R"({"reason":"old"})");

  const auto text = subscription.take_pending();

  CHECK(text.rfind("id: 7\nevent: reset\ndata: {\"reason\":\"old\"}\n\n", 0) == 0);
  CHECK(text.find("event: dropped") < text.find("id: 9\n"));
  CHECK(subscription.take_pending().empty());
}

TEST_CASE("BusSubscription wakes its server on push", "[stream]") {
  BusSubscription subscription(1);
  int wakes = 0;
  subscription.set_waker([&wakes] { ++wakes; });

  subscription.push(event(1));
  subscription.push_reset(0, "{}");

  CHECK(wakes == 2);
}

TEST_CASE("BusSubscription empties its queue when closed", "[stream]") {
  BusSubscription subscription(1);
  subscription.push(event(1));

  subscription.on_closed();

  CHECK(subscription.closed());
  CHECK(subscription.queued_count() == 0);
}

}  // namespace
}  // namespace winebot::hub

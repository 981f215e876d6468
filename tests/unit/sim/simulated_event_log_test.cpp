#include "tests/sim/simulated_event_log.hpp"

#include <catch2/catch.hpp>
#include <set>

namespace winebot::sim {
namespace {

SimulatedEventLog log_with(std::size_t records, std::size_t capacity = 100) {
  SimulatedEventLog log("run1", capacity);
  for (std::size_t index = 0; index < records; ++index) {
    log.append({{"n", index}});
  }
  return log;
}

}  // namespace

TEST_CASE("SimulatedEventLog pages every record once", "[sim]") {
  auto log = log_with(7);
  std::vector<int> seen;
  std::set<std::string> positions;
  std::string cursor;
  for (int page_count = 0; page_count < 10; ++page_count) {
    const auto page = log.read_after(cursor, 3);
    REQUIRE(page.error.empty());
    REQUIRE(page.restart.empty());
    REQUIRE(page.events.size() == page.positions.size());
    for (std::size_t index = 0; index < page.events.size(); ++index) {
      seen.push_back(page.events[index]["n"].get<int>());
      positions.insert(page.positions[index].get<std::string>());
    }
    if (page.events.empty()) {
      CHECK(page.next == cursor);
      break;
    }
    cursor = page.next;
  }
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
  CHECK(positions.size() == 7);
}

TEST_CASE("SimulatedEventLog continues after new appends", "[sim]") {
  auto log = log_with(2);
  const auto first = log.read_after("", 10);
  log.append({{"n", 2}});
  const auto second = log.read_after(first.next, 10);
  REQUIRE(second.events.size() == 1);
  CHECK(second.events[0]["n"] == 2);
  CHECK(second.positions[0] == "run1.2");
}

TEST_CASE("SimulatedEventLog restarts another run's cursor", "[sim]") {
  auto log = log_with(3);
  const auto page = log.read_after("sim1.otherrun.2", 10);
  CHECK(page.error.empty());
  CHECK(page.restart == "file_replaced");
  CHECK(page.events.size() == 3);
}

TEST_CASE("SimulatedEventLog rejects malformed cursors", "[sim]") {
  auto log = log_with(3);
  for (const std::string cursor :
       {"garbage", "sim1.run1.", "sim1..3", "sim1.run1.-1", "sim1.run1.x", "sim1.run1.4"}) {
    INFO(cursor);
    const auto page = log.read_after(cursor, 10);
    CHECK_THAT(page.error, Catch::Contains("invalid cursor in 'after'"));
    CHECK(page.events.empty());
  }
}

TEST_CASE("SimulatedEventLog drops the oldest over capacity", "[sim]") {
  auto log = log_with(15, 10);
  CHECK(log.size() == 10);
  CHECK(log.appended() == 15);
  const auto page = log.read_after("sim1.run1.2", 100);
  REQUIRE(page.events.size() == 10);
  CHECK(page.events[0]["n"] == 5);
  CHECK(page.next == "sim1.run1.15");
}

TEST_CASE("SimulatedEventLog newest returns the tail", "[sim]") {
  auto log = log_with(5);
  const auto events = log.newest(2);
  REQUIRE(events.size() == 2);
  CHECK(events[0]["n"] == 3);
  CHECK(events[1]["n"] == 4);
  CHECK(log.newest(50).size() == 5);
}

}  // namespace winebot::sim

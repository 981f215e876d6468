#include "hub/stream/node_update_throttle.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

using namespace std::chrono_literals;

struct ThrottleFixture {
  std::chrono::steady_clock::time_point now{1000h};
  NodeUpdateThrottle throttle{5s, [this] { return now; }};
};

TEST_CASE("NodeUpdateThrottle limits refreshes per node", "[stream]") {
  ThrottleFixture fixture;
  CHECK(fixture.throttle.allow("a", false));  // first appearance
  fixture.now += 1s;
  CHECK_FALSE(fixture.throttle.allow("a", false));
  CHECK(fixture.throttle.allow("b", false));  // another node has its own interval
  fixture.now += 4s;
  CHECK(fixture.throttle.allow("a", false));
}

TEST_CASE("NodeUpdateThrottle passes every state change", "[stream]") {
  ThrottleFixture fixture;
  CHECK(fixture.throttle.allow("a", false));
  CHECK(fixture.throttle.allow("a", true));
  CHECK(fixture.throttle.allow("a", true));
  // A state change restarts the interval for refreshes.
  fixture.now += 4s;
  CHECK_FALSE(fixture.throttle.allow("a", false));
}

TEST_CASE("NodeUpdateThrottle forgets removed nodes", "[stream]") {
  ThrottleFixture fixture;
  CHECK(fixture.throttle.allow("a", false));
  fixture.throttle.forget("a");
  CHECK(fixture.throttle.allow("a", false));
}

}  // namespace
}  // namespace winebot::hub

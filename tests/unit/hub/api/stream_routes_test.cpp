#include "hub/api/stream_routes.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hub/stream/event_bus.hpp"
#include "shared/http/event_stream.hpp"

namespace winebot::hub {
namespace {

// Routes GET `target` with `headers` and returns the text the stream would write first.
std::string first_text(shared::Router& router, const std::string& target,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  shared::HttpRequest request;
  request.method = "GET";
  request.target = target;
  REQUIRE(shared::split_target(target, request.path, request.query));
  request.headers = std::move(headers);
  const auto response = router.dispatch(request);
  REQUIRE(response.status == 200);
  REQUIRE(response.content_type == "text/event-stream");
  REQUIRE(response.event_stream != nullptr);
  return response.event_stream->take_pending();
}

struct RouteFixture {
  RouteFixture() {
    add_stream_route(router, bus);
    for (int index = 0; index < 5; ++index) {
      bus.publish("node.update", {{"index", index}});
    }
  }

  EventBus bus{1, 3};  // The ring keeps ids 3, 4 and 5.
  shared::Router router;
};

TEST_CASE("Stream route starts live without Last-Event-ID", "[stream]") {
  RouteFixture fixture;

  CHECK(first_text(fixture.router, "/api/stream").empty());
  CHECK(first_text(fixture.router, "/api/stream?last_event_id=").empty());
  CHECK(fixture.bus.subscriber_count() == 0);  // Each response above was released.
}

TEST_CASE("Stream route resumes from the Last-Event-ID header", "[stream]") {
  RouteFixture fixture;

  const auto text = first_text(fixture.router, "/api/stream", {{"last-event-id", "4"}});

  CHECK(text.rfind("id: 5\nevent: node.update\n", 0) == 0);
}

TEST_CASE("Stream route resumes from the last_event_id query", "[stream]") {
  RouteFixture fixture;

  const auto text = first_text(fixture.router, "/api/stream?last_event_id=3");

  CHECK(text.rfind("id: 4\n", 0) == 0);
  CHECK(text.find("id: 5\n") != std::string::npos);
}

TEST_CASE("Stream route prefers the header to the query", "[stream]") {
  RouteFixture fixture;

  const auto text =
      first_text(fixture.router, "/api/stream?last_event_id=3", {{"last-event-id", "5"}});

  CHECK(text.empty());
}

TEST_CASE("Stream route resets an id older than the ring", "[stream]") {
  RouteFixture fixture;

  const auto text = first_text(fixture.router, "/api/stream?last_event_id=1");

  CHECK(text.rfind("id: 5\nevent: reset\n", 0) == 0);
}

}  // namespace
}  // namespace winebot::hub

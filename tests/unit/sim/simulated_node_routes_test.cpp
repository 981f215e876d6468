#include "tests/sim/simulated_node_routes.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/sim/simulated_fleet.hpp"

namespace winebot::sim {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct RoutesFixture {
  RoutesFixture() {
    SimulationSettings settings;
    settings.telemetry_per_minute = 600;
    node = std::make_unique<SimulatedNode>(
        SimulatedNode::Identity{0, stable_node_id(1, 0), "sim-node-0000", "sim-node-0000", "run1"},
        settings, 1, start);
    add_simulated_node_routes(
        router, *node, [this] { return now; }, counts);
  }

  shared::HttpResponse get(const std::string& target) {
    shared::HttpRequest request;
    request.method = "GET";
    request.target = target;
    REQUIRE(shared::split_target(target, request.path, request.query));
    return router.dispatch(request);
  }

  SimulatedNode::TimePoint start = std::chrono::system_clock::now();
  SimulatedNode::TimePoint now = start;
  std::unique_ptr<SimulatedNode> node;
  RequestCounts counts;
  shared::Router router;
};

}  // namespace

TEST_CASE("simulated routes serve state, version and health", "[sim]") {
  RoutesFixture fixture;
  for (const char* path : {"/state", "/version", "/health"}) {
    INFO(path);
    const auto response = fixture.get(path);
    CHECK(response.status == 200);
    CHECK(json::parse(response.body).is_object());
  }
  CHECK(json::parse(fixture.get("/state").body)["node_id"] == stable_node_id(1, 0));
  CHECK(json::parse(fixture.get("/health").body)["status"] == "ok");
}

TEST_CASE("simulated telemetry reads advance with the clock", "[sim]") {
  RoutesFixture fixture;
  const auto empty = json::parse(fixture.get("/telemetry/events?after=&limit=500").body);
  CHECK(empty["events"].empty());

  fixture.now += 1min;
  const auto page = json::parse(
      fixture.get("/telemetry/events?after=" + empty["next"].get<std::string>() + "&limit=1000")
          .body);
  // A Poisson count with mean 600: the bounds are more than 8 standard deviations wide.
  CHECK(page["events"].size() > 400);
  CHECK(page["events"].size() < 800);
  CHECK(page["events"].size() == page["positions"].size());
  CHECK(page["restart"].is_null());

  const auto again =
      json::parse(fixture.get("/telemetry/events?after=" + page["next"].get<std::string>()).body);
  CHECK(again["events"].empty());
}

TEST_CASE("simulated event reads reject bad input", "[sim]") {
  RoutesFixture fixture;
  for (const char* target : {"/lifecycle/events?limit=0", "/lifecycle/events?limit=1001",
                             "/input/events?limit=ten", "/telemetry/events?after=nonsense"}) {
    INFO(target);
    const auto response = fixture.get(target);
    CHECK(response.status == 400);
    CHECK(json::parse(response.body)["detail"].is_string());
  }
}

TEST_CASE("simulated routes count requests by kind", "[sim]") {
  RoutesFixture fixture;
  fixture.get("/state");
  fixture.get("/state");
  fixture.get("/metrics");
  fixture.get("/input/events?after=");
  fixture.get("/health");
  const auto stats = json::parse(fixture.get("/sim/stats").body)["requests"];
  CHECK(stats["state"] == 2);
  CHECK(stats["metrics"] == 1);
  CHECK(stats["events"] == 1);
  CHECK(stats["other"] == 1);
}

TEST_CASE("simulated metrics use the Prometheus content type", "[sim]") {
  RoutesFixture fixture;
  const auto response = fixture.get("/metrics");
  CHECK(response.status == 200);
  CHECK(response.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(response.headers.size() >= 1);
}

}  // namespace winebot::sim

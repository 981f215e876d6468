#include "node/idle/idle_routes.hpp"

#include <catch2/catch.hpp>

namespace winebot::node {
namespace {

TEST_CASE("Activity request accepts the three origins", "[idle]") {
  std::string error;
  CHECK(parse_activity_request(R"({"origin": "user"})", error) == ActivityOrigin::kUser);
  CHECK(parse_activity_request(R"({"origin": "agent", "tool": "x"})", error) ==
        ActivityOrigin::kAgent);
  CHECK(parse_activity_request(R"({"origin": "unknown"})", error) == ActivityOrigin::kUnknown);
  CHECK(error.empty());
}

TEST_CASE("Activity request rejects bad bodies", "[idle]") {
  const char* bodies[] = {"", "not json", "[]", "{}", R"({"origin": 1})", R"({"origin": null})"};
  for (const char* body : bodies) {
    std::string error;
    CHECK_FALSE(parse_activity_request(body, error));
    CHECK_THAT(error, Catch::Contains("origin"));
  }
  std::string error;
  CHECK_FALSE(parse_activity_request(R"({"origin": "robot"})", error));
  CHECK_THAT(error, Catch::Contains("user, agent or unknown") && Catch::Contains("robot"));
}

TEST_CASE("Mode request parses and rejects", "[idle]") {
  std::string error;
  CHECK(parse_mode_request(R"({"mode": "hybrid"})", error) == ControlMode::kHybrid);
  CHECK_FALSE(parse_mode_request(R"({"mode": "HYBRID"})", error));
  CHECK_THAT(error, Catch::Contains("human-only, agent-only or hybrid"));
  error.clear();
  CHECK_FALSE(parse_mode_request(R"({"controller": "user"})", error));
  CHECK_THAT(error, Catch::Contains("\"mode\""));
}

}  // namespace
}  // namespace winebot::node

#include "node/api/recording_routes.hpp"

#include <catch2/catch.hpp>

#include "shared/http/router.hpp"

namespace {

using winebot::node::parse_recover_request;
using winebot::node::parse_start_request;

}  // namespace

TEST_CASE("Start request accepts an empty body", "[recorder][api]") {
  std::string error;
  const auto request = parse_start_request("", error);

  REQUIRE(request);
  CHECK_FALSE(request->new_session);
  CHECK_FALSE(request->fps);
  CHECK_FALSE(request->resolution);
}

TEST_CASE("Start request reads every field", "[recorder][api]") {
  std::string error;
  const auto request = parse_start_request(
      R"({"session_label":"x","session_root":"/r","display":":5","resolution":"800x600x24",)"
      R"("fps":15,"new_session":true})",
      error);

  REQUIRE(request);
  CHECK(request->session_label == "x");
  CHECK(request->session_root == std::filesystem::path("/r"));
  CHECK(request->display == ":5");
  CHECK(request->resolution->width == 800);
  CHECK(request->resolution->height == 600);
  CHECK(request->fps == 15);
  CHECK(request->new_session);
}

TEST_CASE("Start request rejects invalid fields", "[recorder][api]") {
  const std::pair<const char*, const char*> cases[] = {{R"({"fps":0})", "fps"},
                                                       {R"({"fps":121})", "fps"},
                                                       {R"({"fps":"30"})", "fps"},
                                                       {R"({"resolution":"big"})", "resolution"},
                                                       {R"({"new_session":1})", "new_session"},
                                                       {R"({"display":5})", "display"},
                                                       {"[1]", "JSON object"},
                                                       {"{", "JSON object"}};
  for (const auto& [body, field] : cases) {
    std::string error;
    CHECK_FALSE(parse_start_request(body, error));
    CHECK(error.find(field) != std::string::npos);
  }
}

TEST_CASE("Recover request takes an optional session_dir", "[recorder][api]") {
  std::string error;
  CHECK(parse_recover_request("", error) == std::filesystem::path());
  CHECK(parse_recover_request(R"({"session_dir":"/a/b"})", error) == std::filesystem::path("/a/b"));
  CHECK_FALSE(parse_recover_request(R"({"session_dir":3})", error));
}

TEST_CASE("OpenAPI names the response schemas", "[recorder][api]") {
  const auto document = winebot::node::recording_openapi_document();
  const auto schema_of = [&](const char* path) {
    return document["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
                   ["schema"]["$ref"]
                       .get<std::string>();
  };

  CHECK(schema_of("/recording/stop") == "#/components/schemas/RecordingActionResponse");
  CHECK(schema_of("/recording/pause") == "#/components/schemas/RecordingActionResponse");
  CHECK(schema_of("/recording/resume") == "#/components/schemas/RecordingActionResponse");
  CHECK(schema_of("/recording/start") == "#/components/schemas/RecordingStartResponse");
  CHECK(document["components"]["schemas"].contains("RecordingActionResponse"));
  CHECK(document["components"]["schemas"]["RecordingStartResponse"]["properties"].contains(
      "segment"));
}

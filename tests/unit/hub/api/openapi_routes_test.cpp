#include "hub/api/openapi_routes.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

TEST_CASE("Hub OpenAPI lists every endpoint", "[hub]") {
  const auto document = hub_openapi_document();
  CHECK(document["openapi"] == "3.0.3");
  for (const char* path :
       {"/api/nodes", "/api/nodes/{id}", "/api/nodes/{id}/events", "/api/nodes/{id}/samples",
        "/api/fleet/summary", "/api/telemetry", "/api/nodes/{id}/recording/{action}",
        "/api/fleet/recording/{action}", "/api/stream", "/api/login", "/api/logout",
        "/api/openapi.json", "/metrics", "/healthz", "/readyz"}) {
    INFO(path);
    CHECK(document["paths"].contains(path));
  }
}

TEST_CASE("Hub OpenAPI operations describe replies", "[hub]") {
  const auto document = hub_openapi_document();
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      INFO(method << ' ' << path);
      CHECK(operation.contains("summary"));
      CHECK(operation["responses"].contains("200"));
    }
  }
  const auto& action = document["paths"]["/api/fleet/recording/{action}"]["post"];
  CHECK(action["responses"].contains("401"));
  CHECK(action["responses"].contains("403"));
}

}  // namespace
}  // namespace winebot::hub

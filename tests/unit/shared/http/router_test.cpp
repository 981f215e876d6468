#include "shared/http/router.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using winebot::shared::HttpRequest;
using winebot::shared::HttpResponse;
using winebot::shared::Router;
using winebot::shared::split_path;

HttpRequest make_request(std::string method, std::string path) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = path;
  request.path = std::move(path);
  return request;
}

HttpResponse dispatch(const Router& router, std::string method, std::string path) {
  auto request = make_request(std::move(method), std::move(path));
  return router.dispatch(request);
}

std::string detail_of(const HttpResponse& response) {
  return nlohmann::json::parse(response.body).at("detail").get<std::string>();
}

std::string header_of(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

HttpResponse ok_response(const HttpRequest&) {
  return HttpResponse::json(200, {{"ok", true}});
}

}  // namespace

TEST_CASE("split_path drops empty segments", "[http]") {
  REQUIRE(split_path("/a/b/") == std::vector<std::string>{"a", "b"});
  REQUIRE(split_path("//a//b") == std::vector<std::string>{"a", "b"});
  REQUIRE(split_path("/").empty());
  REQUIRE(split_path("").empty());
}

TEST_CASE("Router fills path parameters", "[http]") {
  Router router;
  std::string seen_id;
  std::string seen_action;
  router.add("POST", "/api/nodes/{id}/recording/{action}", [&](const HttpRequest& request) {
    seen_id = request.path_param("id");
    seen_action = request.path_param("action");
    return HttpResponse::json(200, {});
  });

  const auto response = dispatch(router, "POST", "/api/nodes/3f2a/recording/pause");

  REQUIRE(response.status == 200);
  REQUIRE(seen_id == "3f2a");
  REQUIRE(seen_action == "pause");
}

TEST_CASE("Router prefers the first matching route", "[http]") {
  Router router;
  router.add("GET", "/api/nodes/summary", [](const HttpRequest&) {
    return HttpResponse::json(200, {{"route", "literal"}});
  });
  router.add("GET", "/api/nodes/{id}", [](const HttpRequest&) {
    return HttpResponse::json(200, {{"route", "parameter"}});
  });

  const auto response = dispatch(router, "GET", "/api/nodes/summary");

  REQUIRE(nlohmann::json::parse(response.body)["route"] == "literal");
}

TEST_CASE("Router matches a path with a trailing slash", "[http]") {
  Router router;
  router.add("GET", "/health", ok_response);

  REQUIRE(dispatch(router, "GET", "/health/").status == 200);
}

TEST_CASE("Router returns 404 for an unknown path", "[http]") {
  Router router;
  router.add("GET", "/health", ok_response);

  const auto response = dispatch(router, "GET", "/healthz");

  REQUIRE(response.status == 404);
  REQUIRE(detail_of(response) == "Not Found");
}

TEST_CASE("Router requires the parameter segment", "[http]") {
  Router router;
  router.add("GET", "/api/nodes/{id}", ok_response);

  REQUIRE(dispatch(router, "GET", "/api/nodes").status == 404);
  REQUIRE(dispatch(router, "GET", "/api/nodes/a/b").status == 404);
}

TEST_CASE("Router returns 405 with Allow for another method", "[http]") {
  Router router;
  router.add("GET", "/control/mode", ok_response);
  router.add("POST", "/control/mode", ok_response);

  const auto response = dispatch(router, "DELETE", "/control/mode");

  REQUIRE(response.status == 405);
  REQUIRE(detail_of(response) == "Method Not Allowed");
  REQUIRE(header_of(response, "Allow") == "GET, POST");
}

TEST_CASE("Router sends unmatched GET requests to the fallback", "[http]") {
  Router router;
  router.add("POST", "/api/action", ok_response);
  router.set_fallback([](const HttpRequest& request) {
    return HttpResponse::json(200, {{"static", request.path}});
  });

  const auto fallback = dispatch(router, "GET", "/index.html");
  REQUIRE(fallback.status == 200);
  REQUIRE(nlohmann::json::parse(fallback.body)["static"] == "/index.html");

  REQUIRE(dispatch(router, "POST", "/index.html").status == 404);
  REQUIRE(dispatch(router, "GET", "/api/action").status == 405);
}

TEST_CASE("Router request filter short-circuits the handler", "[http]") {
  Router router;
  int handler_calls = 0;
  router.add("GET", "/state", [&](const HttpRequest& request) {
    ++handler_calls;
    return ok_response(request);
  });
  router.set_request_filter([](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.header("x-api-key") == "secret") {
      return std::nullopt;
    }
    return HttpResponse::error(401, "Invalid or missing API Key");
  });

  REQUIRE(dispatch(router, "GET", "/state").status == 401);
  REQUIRE(handler_calls == 0);

  auto request = make_request("GET", "/state");
  request.headers = {{"x-api-key", "secret"}};
  REQUIRE(router.dispatch(request).status == 200);
  REQUIRE(handler_calls == 1);
}

TEST_CASE("Router response decorator runs on every response", "[http]") {
  Router router;
  router.add("GET", "/ok", ok_response);
  router.add("GET", "/throws", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("broken handler");
  });
  router.set_request_filter([](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.path == "/filtered") {
      return HttpResponse::error(401, "filtered");
    }
    return std::nullopt;
  });
  router.set_response_decorator([](const HttpRequest&, HttpResponse& response) {
    response.set_header("Cache-Control", "no-store");
  });

  for (const std::string path : {"/ok", "/missing", "/throws", "/filtered"}) {
    INFO("path: " << path);
    REQUIRE(header_of(dispatch(router, "GET", path), "Cache-Control") == "no-store");
  }
  REQUIRE(header_of(dispatch(router, "PUT", "/ok"), "Cache-Control") == "no-store");
}

TEST_CASE("Router returns 500 JSON for a throwing handler", "[http]") {
  Router router;
  router.add("GET", "/throws", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("secret internal state");
  });

  const auto response = dispatch(router, "GET", "/throws");

  REQUIRE(response.status == 500);
  REQUIRE(response.content_type == "application/json");
  REQUIRE(detail_of(response) == "Internal Server Error");
}

TEST_CASE("Router returns 500 for a non-standard exception", "[http]") {
  Router router;
  router.add("GET", "/throws", [](const HttpRequest&) -> HttpResponse { throw 42; });

  const auto response = dispatch(router, "GET", "/throws");

  REQUIRE(response.status == 500);
  REQUIRE(detail_of(response) == "Internal Server Error");
}

TEST_CASE("Router returns 500 for a throwing request filter", "[http]") {
  Router router;
  router.add("GET", "/ok", ok_response);
  router.set_request_filter(
      [](const HttpRequest&) -> std::optional<HttpResponse> { throw std::logic_error("bug"); });

  REQUIRE(dispatch(router, "GET", "/ok").status == 500);
}

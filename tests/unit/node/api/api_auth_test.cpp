#include "node/api/api_auth.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace winebot::node {
namespace {

// A router with one protected route and the API-key filter in front of it.
struct AuthFixture {
  explicit AuthFixture(std::string token) : token(std::move(token)) {
    router.add("GET", "/health", [](const shared::HttpRequest&) {
      return shared::HttpResponse::json(200, {{"status", "ok"}});
    });
    router.add("GET", "/ui/index", [](const shared::HttpRequest&) {
      return shared::HttpResponse::json(200, {{"page", "ui"}});
    });
    router.set_request_filter(make_api_key_filter(router, [this] { return this->token; }));
  }

  shared::HttpResponse get(const std::string& path, std::optional<std::string> key = {}) {
    shared::HttpRequest request;
    request.method = "GET";
    request.path = path;
    if (key) {
      request.headers.emplace_back("x-api-key", *key);
    }
    return router.dispatch(request);
  }

  std::string token;
  shared::Router router;
};

TEST_CASE("API key filter leaves an open API open", "[auth]") {
  AuthFixture fixture("");
  CHECK(fixture.get("/health").status == 200);
}

TEST_CASE("API key filter rejects a missing key", "[auth]") {
  AuthFixture fixture("s3cret");
  const auto response = fixture.get("/health");
  CHECK(response.status == 401);
  CHECK(nlohmann::json::parse(response.body)["detail"] == "Invalid or missing API Token");
}

TEST_CASE("API key filter rejects a wrong key", "[auth]") {
  AuthFixture fixture("s3cret");
  CHECK(fixture.get("/health", "s3creT").status == 401);
  CHECK(fixture.get("/health", "s3cret-and-more").status == 401);
}

TEST_CASE("API key filter accepts the key with blanks around it", "[auth]") {
  AuthFixture fixture("s3cret");
  CHECK(fixture.get("/health", " s3cret ").status == 200);
}

TEST_CASE("API key filter exempts the UI paths", "[auth]") {
  AuthFixture fixture("s3cret");
  CHECK(fixture.get("/ui/index").status == 200);
}

TEST_CASE("API key filter leaves unknown paths to the 404", "[auth]") {
  AuthFixture fixture("s3cret");
  const auto response = fixture.get("/no/such/path");
  CHECK(response.status == 404);
  CHECK(nlohmann::json::parse(response.body)["detail"] == "Not Found");
}

TEST_CASE("API key filter follows a changed token", "[auth]") {
  AuthFixture fixture("first");
  CHECK(fixture.get("/health", "first").status == 200);
  fixture.token = "second";
  CHECK(fixture.get("/health", "first").status == 401);
  CHECK(fixture.get("/health", "second").status == 200);
}

TEST_CASE("constant_time_equal compares contents and lengths", "[auth]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK(constant_time_equal("", ""));
}

TEST_CASE("advertised token signature hashes the current token", "[actions]") {
  CHECK(advertised_token_signature([] { return std::string("abc"); }) == "ba7816bf8f01cfea");
  CHECK(advertised_token_signature([] { return std::string(); }).empty());
}

}  // namespace
}  // namespace winebot::node

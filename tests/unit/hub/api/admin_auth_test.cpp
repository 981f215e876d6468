#include "hub/api/admin_auth.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace winebot::hub {
namespace {

constexpr const char* kAdminToken = "admin-token-0123456789";

// An AdminAuth whose clock the test moves by hand.
struct AuthFixture {
  explicit AuthFixture(std::string token = kAdminToken)
      : auth(std::move(token), [this] { return now; }) {}

  static shared::HttpRequest request(std::vector<std::pair<std::string, std::string>> headers,
                                     std::string body = {}) {
    shared::HttpRequest request;
    request.method = "POST";
    request.path = "/api/nodes/x/recording/start";
    request.remote_address = "127.0.0.1";
    request.headers = std::move(headers);
    request.body = std::move(body);
    return request;
  }

  // Logs in with a JSON body and returns the session cookie's value.
  std::string log_in() {
    const auto response = auth.login(request({{"content-type", "application/json"}},
                                             nlohmann::json{{"token", kAdminToken}}.dump()));
    REQUIRE(response.status == 200);
    return session_from(response);
  }

  static std::string session_from(const shared::HttpResponse& response) {
    for (const auto& [name, value] : response.headers) {
      if (name == "Set-Cookie") {
        return cookie_value(value.substr(0, value.find(';')), kSessionCookie).value_or("");
      }
    }
    return {};
  }

  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  AdminAuth auth;
};

std::string detail(const shared::HttpResponse& response) {
  return nlohmann::json::parse(response.body).at("detail").get<std::string>();
}

std::string header(const shared::HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

TEST_CASE("AdminAuth without a token rejects actions with 403", "[actions]") {
  AuthFixture fixture("");
  const auto rejected =
      fixture.auth.check(AuthFixture::request({{"authorization", "Bearer anything"}}));
  REQUIRE(rejected.has_value());
  CHECK(rejected->status == 403);
  CHECK(detail(*rejected).find("WINEBOT_HUB_ADMIN_TOKEN") != std::string::npos);
  CHECK(fixture.auth.login(AuthFixture::request({}, "token=x")).status == 403);
}

TEST_CASE("AdminAuth accepts the right bearer token", "[actions]") {
  AuthFixture fixture;
  CHECK_FALSE(fixture.auth.check(
      AuthFixture::request({{"authorization", std::string("Bearer ") + kAdminToken}})));
  CHECK_FALSE(fixture.auth.check(
      AuthFixture::request({{"authorization", std::string("bearer  ") + kAdminToken + " "}})));
}

TEST_CASE("AdminAuth rejects a missing or wrong bearer token", "[actions]") {
  AuthFixture fixture;
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {},
      {{"authorization", "Bearer wrong-token"}},
      {{"authorization", std::string("Basic ") + kAdminToken}},
      {{"authorization", std::string("Bearer ") + kAdminToken + "x"}},
      {{"cookie", std::string(kSessionCookie) + "=" + kAdminToken}},
  };
  for (const auto& headers : cases) {
    const auto rejected = fixture.auth.check(AuthFixture::request(headers));
    REQUIRE(rejected.has_value());
    CHECK(rejected->status == 401);
    CHECK(header(*rejected, "WWW-Authenticate").find("Bearer") == 0);
    CHECK_FALSE(detail(*rejected).empty());
  }
}

TEST_CASE("AdminAuth login sets a session cookie", "[actions]") {
  AuthFixture fixture;
  const auto response = fixture.auth.login(
      AuthFixture::request({{"content-type", "application/x-www-form-urlencoded"}},
                           std::string("token=") + kAdminToken));
  REQUIRE(response.status == 200);
  const auto cookie = header(response, "Set-Cookie");
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find(kAdminToken) == std::string::npos);
  const auto session = AuthFixture::session_from(response);
  CHECK(session.size() == 64);

  CHECK_FALSE(fixture.auth.check(AuthFixture::request(
      {{"cookie", "other=1; " + std::string(kSessionCookie) + "=" + session}})));
}

TEST_CASE("AdminAuth login rejects a wrong or missing token", "[actions]") {
  AuthFixture fixture;
  CHECK(fixture.auth.login(AuthFixture::request({}, "token=wrong")).status == 401);
  CHECK(fixture.auth.login(AuthFixture::request({}, "user=admin")).status == 400);
  CHECK(fixture.auth.login(AuthFixture::request({{"content-type", "application/json"}}, "[1]"))
            .status == 400);
  CHECK(fixture.auth.login(AuthFixture::request({}, std::string(kMaxLoginBodyBytes + 1, 'a')))
            .status == 413);
  CHECK(fixture.auth.session_count() == 0);
}

TEST_CASE("AdminAuth cookie needs the hub's own origin", "[actions]") {
  AuthFixture fixture;
  const auto cookie = std::string(kSessionCookie) + "=" + fixture.log_in();
  const std::pair<std::string, std::string> host{"host", "127.0.0.1:8080"};

  CHECK_FALSE(fixture.auth.check(AuthFixture::request({{"cookie", cookie}, host})));
  CHECK_FALSE(fixture.auth.check(
      AuthFixture::request({{"cookie", cookie}, host, {"origin", "http://127.0.0.1:8080"}})));
  CHECK_FALSE(fixture.auth.check(
      AuthFixture::request({{"cookie", cookie}, host, {"sec-fetch-site", "same-origin"}})));

  const auto other_port = fixture.auth.check(
      AuthFixture::request({{"cookie", cookie}, host, {"origin", "http://127.0.0.1:8000"}}));
  REQUIRE(other_port.has_value());
  CHECK(other_port->status == 403);
  CHECK_THAT(detail(*other_port), Catch::Contains("another origin"));
  const auto same_site = fixture.auth.check(
      AuthFixture::request({{"cookie", cookie}, host, {"sec-fetch-site", "same-site"}}));
  REQUIRE(same_site.has_value());
  CHECK(same_site->status == 403);

  // A bearer token is not sent by browsers on their own, so the origin does not matter.
  CHECK_FALSE(fixture.auth.check(
      AuthFixture::request({{"authorization", std::string("Bearer ") + kAdminToken},
                            host,
                            {"origin", "http://evil.example"}})));
}

TEST_CASE("AdminAuth throttles failed logins", "[actions]") {
  AuthFixture fixture;
  for (std::size_t attempt = 0; attempt < kMaxLoginFailures; ++attempt) {
    CHECK(fixture.auth.login(AuthFixture::request({}, "token=wrong")).status == 401);
    fixture.now += std::chrono::seconds(1);
  }

  // Even the right token waits, so that guessing cannot go on at full speed.
  const auto throttled =
      fixture.auth.login(AuthFixture::request({}, std::string("token=") + kAdminToken));
  CHECK(throttled.status == 429);
  CHECK(header(throttled, "Retry-After") == "51");
  CHECK_THAT(detail(throttled), Catch::Contains("too many failed logins"));

  fixture.now += std::chrono::seconds(51);  // the first failure leaves the window
  CHECK(fixture.auth.login(AuthFixture::request({}, std::string("token=") + kAdminToken)).status ==
        200);
}

TEST_CASE("AdminAuth logout ends the session", "[actions]") {
  AuthFixture fixture;
  const auto session = fixture.log_in();
  const auto cookie = std::string(kSessionCookie) + "=" + session;
  CHECK_FALSE(fixture.auth.check(AuthFixture::request({{"cookie", cookie}})));

  const auto response = fixture.auth.logout(AuthFixture::request({{"cookie", cookie}}));
  CHECK(response.status == 200);
  CHECK(header(response, "Set-Cookie").find("Max-Age=0") != std::string::npos);
  const auto rejected = fixture.auth.check(AuthFixture::request({{"cookie", cookie}}));
  REQUIRE(rejected.has_value());
  CHECK(rejected->status == 401);
}

TEST_CASE("AdminAuth session expires after its lifetime", "[actions]") {
  AuthFixture fixture;
  const auto cookie = std::string(kSessionCookie) + "=" + fixture.log_in();
  fixture.now += kSessionLifetime - std::chrono::seconds(1);
  CHECK_FALSE(fixture.auth.check(AuthFixture::request({{"cookie", cookie}})));
  fixture.now += std::chrono::seconds(1);
  CHECK(fixture.auth.check(AuthFixture::request({{"cookie", cookie}})).has_value());
  CHECK(fixture.auth.session_count() == 0);
}

TEST_CASE("AdminAuth keeps at most kMaxSessions", "[actions]") {
  AuthFixture fixture;
  for (std::size_t index = 0; index < kMaxSessions + 3; ++index) {
    fixture.log_in();
    fixture.now += std::chrono::milliseconds(1);
  }
  CHECK(fixture.auth.session_count() == kMaxSessions);
}

TEST_CASE("cookie_value finds one cookie among several", "[actions]") {
  CHECK(cookie_value("a=1; b=2;c=3", "b") == "2");
  CHECK(cookie_value("a=1; b=2;c=3", "c") == "3");
  CHECK(cookie_value("ab=1", "a") == std::nullopt);
  CHECK(cookie_value("", "a") == std::nullopt);
  CHECK(cookie_value("a=", "a") == "");
}

}  // namespace
}  // namespace winebot::hub

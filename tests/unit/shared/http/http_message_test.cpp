#include "shared/http/http_message.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using winebot::shared::HttpRequest;
using winebot::shared::HttpResponse;
using winebot::shared::percent_decode;
using winebot::shared::split_target;
using Query = std::map<std::string, std::string>;

}  // namespace

TEST_CASE("percent_decode decodes escapes in either case", "[http]") {
  REQUIRE(percent_decode("a%20b", false) == "a b");
  REQUIRE(percent_decode("%2f%2F", false) == "//");
  REQUIRE(percent_decode("%e2%82%AC", false) == "\xe2\x82\xac");
}

TEST_CASE("percent_decode keeps a decoded NUL byte", "[http]") {
  REQUIRE(percent_decode("a%00b", false) == std::string("a\0b", 3));
}

TEST_CASE("percent_decode turns '+' into a space on request", "[http]") {
  REQUIRE(percent_decode("a+b", true) == "a b");
  REQUIRE(percent_decode("a+b", false) == "a+b");
  REQUIRE(percent_decode("a%2Bb", true) == "a+b");
}

TEST_CASE("percent_decode rejects malformed escapes", "[http]") {
  for (const std::string text : {"%", "%2", "a%", "a%4", "%G1", "%1G", "%%", "% 1", "%-1"}) {
    INFO("text: '" << text << "'");
    REQUIRE(percent_decode(text, false) == std::nullopt);
  }
}

TEST_CASE("split_target separates path and query", "[http]") {
  std::string path;
  Query query;

  REQUIRE(split_target("/input/events?limit=10&origin=agent", path, query));
  REQUIRE(path == "/input/events");
  REQUIRE(query == Query{{"limit", "10"}, {"origin", "agent"}});
}

TEST_CASE("split_target decodes the path without '+' rules", "[http]") {
  std::string path;
  Query query;

  REQUIRE(split_target("/a%20b/c+d/%3F", path, query));
  REQUIRE(path == "/a b/c+d/?");
  REQUIRE(query.empty());
}

TEST_CASE("split_target decodes query keys and values", "[http]") {
  std::string path;
  Query query;

  REQUIRE(split_target("/?text=two+words&amp=a%26b&eq=x%3Dy&k%20ey=1", path, query));
  REQUIRE(query == Query{{"text", "two words"}, {"amp", "a&b"}, {"eq", "x=y"}, {"k ey", "1"}});
}

TEST_CASE("split_target reads flags and empty pairs", "[http]") {
  std::string path;
  Query query;

  REQUIRE(split_target("/x?flag&&empty=&=nokey", path, query));
  REQUIRE(query == Query{{"flag", ""}, {"empty", ""}, {"", "nokey"}});
}

TEST_CASE("split_target keeps the last of repeated keys", "[http]") {
  std::string path;
  Query query;

  REQUIRE(split_target("/x?limit=1&limit=2", path, query));
  REQUIRE(query == Query{{"limit", "2"}});
}

TEST_CASE("split_target splits the query at the first '?'", "[http]") {
  std::string path;
  Query query;

  REQUIRE(split_target("/x?a=b?c", path, query));
  REQUIRE(path == "/x");
  REQUIRE(query == Query{{"a", "b?c"}});
}

TEST_CASE("split_target clears an old query", "[http]") {
  std::string path;
  Query query = {{"stale", "1"}};

  REQUIRE(split_target("/x", path, query));
  REQUIRE(query.empty());
}

TEST_CASE("split_target rejects a bad escape in the path", "[http]") {
  std::string path;
  Query query;

  REQUIRE_FALSE(split_target("/a%zz?x=1", path, query));
}

TEST_CASE("split_target rejects a bad escape in the query", "[http]") {
  std::string path;
  Query query;

  REQUIRE_FALSE(split_target("/a?x=%", path, query));
  REQUIRE_FALSE(split_target("/a?%g=1", path, query));
}

TEST_CASE("HttpRequest finds headers in any case", "[http]") {
  HttpRequest request;
  request.headers = {{"content-type", "application/json"}, {"x-api-key", "secret"}};

  REQUIRE(request.header("Content-Type") == "application/json");
  REQUIRE(request.header("X-API-KEY") == "secret");
  REQUIRE(request.header("accept") == std::nullopt);
}

TEST_CASE("HttpRequest returns an empty missing path parameter", "[http]") {
  HttpRequest request;
  request.path_params = {{"id", "3f2a"}};

  REQUIRE(request.path_param("id") == "3f2a");
  REQUIRE(request.path_param("other").empty());
}

TEST_CASE("HttpResponse error is JSON with a detail", "[http]") {
  const auto response = HttpResponse::error(404, "Not Found");

  REQUIRE(response.status == 404);
  REQUIRE(response.content_type == "application/json");
  REQUIRE(nlohmann::json::parse(response.body) == nlohmann::json{{"detail", "Not Found"}});
}

TEST_CASE("HttpResponse json replaces invalid UTF-8", "[http]") {
  const auto response = HttpResponse::json(200, nlohmann::json{{"name", "bad \xc3 byte"}});

  const auto body = nlohmann::json::parse(response.body);
  REQUIRE(body["name"] == "bad \xef\xbf\xbd byte");
}

TEST_CASE("HttpResponse set_header replaces an existing header", "[http]") {
  HttpResponse response;
  response.set_header("Allow", "GET");
  response.set_header("Allow", "GET, POST");

  REQUIRE(response.headers.size() == 1);
  REQUIRE(response.headers[0].second == "GET, POST");
}

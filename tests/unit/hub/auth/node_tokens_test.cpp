#include "hub/auth/node_tokens.hpp"

#include <catch2/catch.hpp>

#include "shared/config/option_parser.hpp"
#include "shared/crypto/digest.hpp"

namespace winebot::hub {
namespace {

constexpr const char* kNodeA = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr const char* kNodeB = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

shared::TxtRecord txt_with_signature(const std::string& signature) {
  return {{"txtvers", "1"}, {"node_id", kNodeA}, {"token_sig", signature}};
}

TEST_CASE("parse_node_token splits at the first equals sign", "[actions]") {
  const auto [node_id, token] = parse_node_token(std::string(kNodeA) + "=a=b==", "--node-token");
  CHECK(node_id == kNodeA);
  CHECK(token == "a=b==");
}

TEST_CASE("parse_node_token rejects malformed assignments", "[actions]") {
  for (const std::string text : {"no-equals-sign", "=token", "node=", "node=two words",
                                 "two words=token", "node=tab\there"}) {
    INFO(text);
    CHECK_THROWS_AS(parse_node_token(text, "--node-token"), shared::ConfigError);
  }
}

TEST_CASE("parse_node_token keeps the token out of errors", "[actions]") {
  try {
    parse_node_token("node=secret value", "--node-token");
    FAIL("expected a ConfigError");
  } catch (const shared::ConfigError& error) {
    const std::string message = error.what();
    CHECK(message.find("node") != std::string::npos);
    CHECK(message.find("--node-token") != std::string::npos);
    CHECK(message.find("secret") == std::string::npos);
  }
}

TEST_CASE("tokens file skips comments and blank lines", "[actions]") {
  NodeTokens tokens;
  parse_node_tokens_file(
      std::string("# fleet tokens\n\n  ") + kNodeA + "=token-a  \r\n" + kNodeB + "=token-b",
      "tokens.txt", tokens);
  CHECK(tokens.node_count() == 2);
  CHECK(tokens.token_for(kNodeA) == "token-a");
  CHECK(tokens.token_for(kNodeB) == "token-b");
}

TEST_CASE("tokens file error names the line", "[actions]") {
  NodeTokens tokens;
  CHECK_THROWS_WITH(parse_node_tokens_file("# header\nbroken line\n", "tokens.txt", tokens),
                    Catch::Contains("tokens.txt line 2"));
  CHECK_THROWS_WITH(
      parse_node_tokens_file(std::string(kNodeA) + "=one\n" + kNodeA + "=two\n", "t", tokens),
      Catch::Contains("line 2 repeats node id"));
}

TEST_CASE("token_for prefers the node token over the fleet token", "[actions]") {
  NodeTokens tokens;
  CHECK_FALSE(tokens.token_for(kNodeA).has_value());
  tokens.set(kNodeA, "token-a");
  CHECK(tokens.token_for(kNodeA) == "token-a");
  CHECK_FALSE(tokens.token_for(kNodeB).has_value());
  tokens.set_fleet_token("fleet");
  CHECK(tokens.token_for(kNodeA) == "token-a");
  CHECK(tokens.token_for(kNodeB) == "fleet");
  CHECK(tokens.token_for("address:127.0.0.1:8000") == "fleet");
}

TEST_CASE("token status compares the advertised signature", "[actions]") {
  NodeTokens tokens;
  CHECK(tokens.status_for(kNodeA, txt_with_signature("0123")) == TokenStatus::kNone);

  tokens.set(kNodeA, "token-a");
  CHECK(tokens.status_for(kNodeA, txt_with_signature(shared::token_signature("token-a"))) ==
        TokenStatus::kValid);
  CHECK(tokens.status_for(kNodeA, txt_with_signature(shared::token_signature("other"))) ==
        TokenStatus::kMismatch);
  CHECK(tokens.status_for(kNodeA, {{"node_id", kNodeA}}) == TokenStatus::kUnknown);
  CHECK(tokens.status_for(kNodeA, txt_with_signature("")) == TokenStatus::kUnknown);
  CHECK(std::string(to_string(TokenStatus::kMismatch)) == "mismatch");
}

TEST_CASE("token_problem accepts only header-safe tokens", "[actions]") {
  CHECK(token_problem("abc-DEF_123.~+/=").empty());
  CHECK_FALSE(token_problem("").empty());
  CHECK_FALSE(token_problem("with space").empty());
  CHECK_FALSE(token_problem("line\r\nbreak").empty());
  CHECK_FALSE(token_problem("caf\xc3\xa9").empty());
  CHECK_FALSE(token_problem(std::string(kMaxTokenBytes + 1, 'a')).empty());
}

}  // namespace
}  // namespace winebot::hub

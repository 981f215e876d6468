#include "shared/crypto/digest.hpp"

#include <catch2/catch.hpp>

namespace winebot::shared {
namespace {

TEST_CASE("sha256_hex matches the FIPS 180-4 abc vector", "[actions]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("token_signature is the first 16 hex digits", "[actions]") {
  CHECK(token_signature("abc") == "ba7816bf8f01cfea");
  CHECK(token_signature("abc").size() == 16);
  CHECK(token_signature("").empty());
}

TEST_CASE("secrets_equal compares contents and lengths", "[actions]") {
  CHECK(secrets_equal("token-one", "token-one"));
  CHECK_FALSE(secrets_equal("token-one", "token-two"));
  CHECK_FALSE(secrets_equal("token", "token-one"));
  CHECK_FALSE(secrets_equal("", "x"));
  CHECK(secrets_equal("", ""));
}

TEST_CASE("random_hex returns fresh hex strings", "[actions]") {
  const auto first = random_hex(32);
  const auto second = random_hex(32);
  CHECK(first.size() == 64);
  CHECK(first.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(first != second);
}

}  // namespace
}  // namespace winebot::shared

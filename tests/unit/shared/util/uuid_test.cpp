#include "shared/util/uuid.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace {

using winebot::shared::generate_uuid_v4;
using winebot::shared::is_uuid;

bool is_lowercase_hex(char character) {
  return (character >= '0' && character <= '9') || (character >= 'a' && character <= 'f');
}

}  // namespace

TEST_CASE("generate_uuid_v4 writes lowercase 8-4-4-4-12 hex", "[util]") {
  const std::string id = generate_uuid_v4();

  REQUIRE(id.size() == 36);
  for (std::size_t index = 0; index < id.size(); ++index) {
    INFO("index " << index << " of " << id);
    const bool dash_position = index == 8 || index == 13 || index == 18 || index == 23;
    REQUIRE((dash_position ? id[index] == '-' : is_lowercase_hex(id[index])));
  }
}

TEST_CASE("generate_uuid_v4 sets the version and variant", "[util]") {
  for (int round = 0; round < 200; ++round) {
    const std::string id = generate_uuid_v4();
    INFO(id);
    REQUIRE(id[14] == '4');
    REQUIRE(std::string("89ab").find(id[19]) != std::string::npos);
  }
}

TEST_CASE("generate_uuid_v4 returns distinct ids", "[util]") {
  std::set<std::string> ids;
  for (int round = 0; round < 1000; ++round) {
    ids.insert(generate_uuid_v4());
  }

  REQUIRE(ids.size() == 1000);
}

TEST_CASE("is_uuid accepts the canonical form in either case", "[util]") {
  REQUIRE(is_uuid("3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7b"));
  REQUIRE(is_uuid("3F2A8C1E-0B4D-4E6F-9A1B-2C3D4E5F6A7B"));
  REQUIRE(is_uuid("00000000-0000-0000-0000-000000000000"));
  REQUIRE(is_uuid(generate_uuid_v4()));
}

TEST_CASE("is_uuid rejects other forms", "[util]") {
  for (const std::string text : {
           "",
           "3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7",    // 35 characters
           "3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7b0",  // 37 characters
           "3f2a8c1e0b4d4e6f9a1b2c3d4e5f6a7b",       // no dashes
           "3f2a8c1e-0b4d-4e6f-9a1b2-c3d4e5f6a7b",   // dash moved
           "3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7g",   // not hex
           "{3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7}",  // braces
           "3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7 ",   // trailing blank
       }) {
    INFO("text: '" << text << "'");
    REQUIRE_FALSE(is_uuid(text));
  }
}

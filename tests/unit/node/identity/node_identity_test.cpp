#include "node/identity/node_identity.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "shared/util/files.hpp"
#include "shared/util/uuid.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::node::load_or_create_node_id;
using winebot::shared::is_uuid;
using winebot::shared::read_text_file;
using winebot::test::TempFolder;

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("load_or_create_node_id creates and stores a UUID", "[identity]") {
  TempFolder folder;
  const auto state_dir = folder.path() / "state";

  const std::string id = load_or_create_node_id(state_dir);

  REQUIRE(is_uuid(id));
  REQUIRE(read_text_file(state_dir / "node_id") == id + "\n");
}

TEST_CASE("load_or_create_node_id returns the stored id again", "[identity]") {
  TempFolder folder;

  const std::string first = load_or_create_node_id(folder.path());
  const std::string second = load_or_create_node_id(folder.path());

  REQUIRE(second == first);
}

TEST_CASE("load_or_create_node_id ignores trailing line ends", "[identity]") {
  TempFolder folder;
  const std::string id = "3f2a8c1e-0b4d-4e6f-9a1b-2c3d4e5f6a7b";
  write_text(folder.file("node_id"), id + "\r\n");

  REQUIRE(load_or_create_node_id(folder.path()) == id);
}

TEST_CASE("load_or_create_node_id rejects a file containing garbage", "[identity]") {
  TempFolder folder;
  const auto path = folder.file("node_id");
  write_text(path, "not a uuid\n");

  REQUIRE_THROWS_WITH(load_or_create_node_id(folder.path()),
                      Catch::Contains(path.string()) && Catch::Contains("UUID"));
  // The file is evidence for the operator, so it must stay as it was.
  REQUIRE(read_text_file(path) == "not a uuid\n");
}

TEST_CASE("load_or_create_node_id rejects an empty file", "[identity]") {
  TempFolder folder;
  write_text(folder.file("node_id"), "");

  REQUIRE_THROWS_AS(load_or_create_node_id(folder.path()), std::runtime_error);
}

TEST_CASE("load_or_create_node_id explains an unusable folder", "[identity]") {
  TempFolder folder;
  // A regular file where a parent folder should be cannot be written even by root, unlike a
  // folder without write permission.
  write_text(folder.file("plain"), "");
  const auto state_dir = folder.path() / "plain" / "state";

  REQUIRE_THROWS_WITH(load_or_create_node_id(state_dir), Catch::Contains(state_dir.string()) &&
                                                             Catch::Contains("--state-dir") &&
                                                             Catch::Contains("WINEBOT_STATE_DIR"));
}

#include "shared/util/files.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::shared::read_text_file;
using winebot::shared::write_file_atomically;
using winebot::test::TempFolder;

std::size_t entries_in(const std::filesystem::path& folder) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("write_file_atomically creates missing parent folders", "[util]") {
  TempFolder folder;
  const auto path = folder.path() / "a" / "b" / "node_id";

  write_file_atomically(path, "content\n");

  REQUIRE(read_text_file(path) == "content\n");
}

TEST_CASE("write_file_atomically replaces a longer file whole", "[util]") {
  TempFolder folder;
  const auto path = folder.file("state.json");
  write_file_atomically(path, "a much longer old content");

  write_file_atomically(path, "new");

  REQUIRE(read_text_file(path) == "new");
}

TEST_CASE("write_file_atomically leaves no temporary file", "[util]") {
  TempFolder folder;

  write_file_atomically(folder.file("one"), "1");
  write_file_atomically(folder.file("one"), "2");

  REQUIRE(entries_in(folder.path()) == 1);
}

TEST_CASE("write_file_atomically keeps binary content", "[util]") {
  TempFolder folder;
  const std::string content("\0\r\n\xff", 4);

  write_file_atomically(folder.file("blob"), content);

  REQUIRE(read_text_file(folder.file("blob")) == content);
}

TEST_CASE("write_file_atomically fails under a regular file", "[util]") {
  TempFolder folder;
  std::ofstream(folder.file("plain")) << "not a folder";

  REQUIRE_THROWS_AS(write_file_atomically(folder.path() / "plain" / "child", "x"),
                    std::filesystem::filesystem_error);
}

TEST_CASE("write_file_atomically names the path in a write error", "[util]") {
  TempFolder folder;
  // A folder where the file should be makes the final rename fail.
  std::filesystem::create_directories(folder.file("taken") / "inside");

  REQUIRE_THROWS_WITH(write_file_atomically(folder.file("taken"), "x"),
                      Catch::Contains((folder.file("taken")).string()));
}

TEST_CASE("write_file_atomically removes its temporary file on failure", "[util]") {
  TempFolder folder;
  std::filesystem::create_directories(folder.file("taken") / "inside");

  REQUIRE_THROWS(write_file_atomically(folder.file("taken"), "x"));
  REQUIRE(entries_in(folder.path()) == 1);
}

TEST_CASE("read_text_file returns nothing for a missing file", "[util]") {
  TempFolder folder;

  REQUIRE(read_text_file(folder.file("missing")) == std::nullopt);
}

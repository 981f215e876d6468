#include "shared/screenshot/thumbnail_width.hpp"

#include <catch2/catch.hpp>

namespace winebot::shared {
namespace {

TEST_CASE("Thumbnail width defaults when absent", "[screenshot]") {
  std::string error;
  CHECK(parse_thumbnail_width(std::nullopt, error) == kDefaultThumbnailWidth);
  CHECK(error.empty());
}

TEST_CASE("Thumbnail width accepts the whole range", "[screenshot]") {
  const std::pair<const char*, int> cases[] = {{"16", 16},     {"320", 320},  {"1920", 1920},
                                               {" 640 ", 640}, {"+100", 100}, {"0100", 100}};
  for (const auto& [text, expected] : cases) {
    INFO(text);
    std::string error;
    CHECK(parse_thumbnail_width(std::string(text), error) == expected);
    CHECK(error.empty());
  }
}

TEST_CASE("Thumbnail width rejects values outside 16 to 1920", "[screenshot]") {
  for (const char* text : {"", " ", "15", "0", "-320", "1921", "99999999999999999999", "320.0",
                           "1e3", "320px", "abc", "0x140"}) {
    INFO('"' << text << '"');
    std::string error;
    CHECK_FALSE(parse_thumbnail_width(std::string(text), error));
    CHECK_THAT(error, Catch::Contains("from 16 to 1920"));
    CHECK_THAT(error, Catch::Contains(std::string("'") + text + "'"));
  }
}

}  // namespace
}  // namespace winebot::shared

#include "node/screenshot/screen_grabber.hpp"

#include <catch2/catch.hpp>

namespace winebot::node {
namespace {

TEST_CASE("Thumbnail size keeps the aspect ratio", "[screenshot]") {
  CHECK(thumbnail_size({1280, 720}, 320) == Resolution{320, 180});
  CHECK(thumbnail_size({1920, 1080}, 1000) == Resolution{1000, 563});  // 562.5 rounds up
  CHECK(thumbnail_size({1024, 768}, 100) == Resolution{100, 75});
  CHECK(thumbnail_size({801, 601}, 16) == Resolution{16, 12});
  CHECK(thumbnail_size({720, 1280}, 90) == Resolution{90, 160});  // portrait
}

TEST_CASE("Thumbnail size never enlarges the display", "[screenshot]") {
  CHECK(thumbnail_size({640, 480}, 1920) == Resolution{640, 480});
  CHECK(thumbnail_size({640, 480}, 640) == Resolution{640, 480});
  CHECK(thumbnail_size({15, 9}, 16) == Resolution{15, 9});
}

TEST_CASE("Thumbnail size keeps a height of at least 1", "[screenshot]") {
  CHECK(thumbnail_size({16384, 2}, 16) == Resolution{16, 1});
  CHECK(thumbnail_size({1920, 1}, 320) == Resolution{320, 1});
}

TEST_CASE("Thumbnail size of an empty display is empty", "[screenshot]") {
  CHECK(thumbnail_size({0, 0}, 320).empty());
  CHECK(thumbnail_size({640, 480}, 0).empty());
}

}  // namespace
}  // namespace winebot::node

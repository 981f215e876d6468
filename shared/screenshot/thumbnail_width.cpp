#include "shared/screenshot/thumbnail_width.hpp"

#include "shared/config/option_parser.hpp"

namespace winebot::shared {

std::optional<int> parse_thumbnail_width(const std::optional<std::string>& text,
                                         std::string& error) {
  if (!text) {
    return kDefaultThumbnailWidth;
  }
  const auto value = parse_integer(*text);
  if (!value || *value < kMinThumbnailWidth || *value > kMaxThumbnailWidth) {
    error = "width must be a whole number of pixels from " + std::to_string(kMinThumbnailWidth) +
            " to " + std::to_string(kMaxThumbnailWidth) + " (got '" + *text + "')";
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

}  // namespace winebot::shared

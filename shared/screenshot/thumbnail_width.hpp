#pragma once

#include <optional>
#include <string>

namespace winebot::shared {

// Width limits of a screenshot thumbnail in pixels, the same on the node's GET /screenshot and
// the hub's GET /api/nodes/{id}/screenshot.
inline constexpr int kDefaultThumbnailWidth = 320;
inline constexpr int kMinThumbnailWidth = 16;
inline constexpr int kMaxThumbnailWidth = 1920;

// Parses the `width` query value of a screenshot request: absent means kDefaultThumbnailWidth,
// otherwise a whole decimal number from kMinThumbnailWidth to kMaxThumbnailWidth. Returns
// nullopt with `error` set to a message that names the value, for a 400 reply.
std::optional<int> parse_thumbnail_width(const std::optional<std::string>& text,
                                         std::string& error);

}  // namespace winebot::shared

#pragma once

#include <nlohmann/json.hpp>

#include "shared/http/router.hpp"

namespace winebot::node {

class ScreenshotService;

// Adds GET /screenshot?width=N: a JPEG thumbnail of the X display from `service`. Replies 200
// image/jpeg; 400 for a width outside shared::parse_thumbnail_width's range; 503 when the
// display is unavailable or too many grabs are running (with Retry-After); 504 when the grab
// passed its deadline; 500 when encoding failed. Errors are JSON {"detail": ...}. `service` must
// outlive the router.
void add_screenshot_route(shared::Router& router, ScreenshotService& service);

// The /screenshot entry of the node's OpenAPI `paths`.
nlohmann::json screenshot_openapi_paths();

}  // namespace winebot::node

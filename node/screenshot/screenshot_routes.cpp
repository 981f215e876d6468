#include "node/screenshot/screenshot_routes.hpp"

#include "node/screenshot/screenshot_service.hpp"
#include "shared/screenshot/thumbnail_width.hpp"

namespace winebot::node {
namespace {

using nlohmann::json;

shared::HttpResponse screenshot_response(const ScreenshotResult& result) {
  switch (result.failure) {
    case ScreenshotFailure::kNone: {
      shared::HttpResponse response;
      response.content_type = "image/jpeg";
      response.body = result.jpeg;
      response.set_header("Cache-Control", "no-store");
      return response;
    }
    case ScreenshotFailure::kDisplayUnavailable:
      return shared::HttpResponse::error(503, result.message);
    case ScreenshotFailure::kBusy: {
      auto response = shared::HttpResponse::error(503, result.message);
      response.set_header("Retry-After", "1");
      return response;
    }
    case ScreenshotFailure::kTimedOut:
      return shared::HttpResponse::error(504, result.message);
    case ScreenshotFailure::kEncoderFailed:
      break;
  }
  return shared::HttpResponse::error(500, result.message);
}

json error_reply(const char* description) {
  return {{"description", description},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/ErrorResponse"}}}}}}}};
}

boost::asio::awaitable<shared::HttpResponse> serve_screenshot(const shared::HttpRequest& request,
                                                              ScreenshotService& service) {
  std::string error;
  const auto width = shared::parse_thumbnail_width(request.query_value("width"), error);
  if (!width) {
    co_return shared::HttpResponse::error(400, error);
  }
  co_return screenshot_response(co_await service.take(*width));
}

}  // namespace

void add_screenshot_route(shared::Router& router, ScreenshotService& service) {
  router.add_async("GET", "/screenshot", [&service](const shared::HttpRequest& request) {
    return serve_screenshot(request, service);
  });
}

json screenshot_openapi_paths() {
  const json width{{"name", "width"},
                   {"in", "query"},
                   {"required", false},
                   {"description",
                    "Image width in pixels; the height keeps the display's aspect ratio. A "
                    "display narrower than this is returned at its own width."},
                   {"schema",
                    {{"type", "integer"},
                     {"minimum", shared::kMinThumbnailWidth},
                     {"maximum", shared::kMaxThumbnailWidth},
                     {"default", shared::kDefaultThumbnailWidth}}}};
  const json image{
      {"description", "The display as a JPEG image"},
      {"content", {{"image/jpeg", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
  return {{"/screenshot",
           {{"get",
             {{"summary", "Take a JPEG thumbnail of the X display that the recorder records"},
              {"parameters", json::array({width})},
              {"responses",
               {{"200", image},
                {"400", error_reply("Invalid width")},
                {"401", error_reply("Missing or wrong X-API-Key")},
                {"500", error_reply("Encoding failed")},
                {"503", error_reply("The display is unavailable, or too many screenshots are "
                                    "being taken (see Retry-After)")},
                {"504", error_reply("The display did not return an image in time")}}}}}}}};
}

}  // namespace winebot::node

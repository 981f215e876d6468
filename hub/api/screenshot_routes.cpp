#include "hub/api/screenshot_routes.hpp"

#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/this_coro.hpp>

#include "hub/auth/node_tokens.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/http/http_client.hpp"
#include "shared/log/logger.hpp"
#include "shared/screenshot/thumbnail_width.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

// Every JPEG file starts with the SOI marker (FF D8) and the FF byte of the next marker.
constexpr std::string_view kJpegSignature{"\xFF\xD8\xFF", 3};
// The message of Beast's http::error::body_limit, which the client returns for a reply larger than
// its body limit.
constexpr std::string_view kBodyLimitError = "body limit exceeded";

// The `detail` of a node's JSON error body, or a note that it had none.
std::string node_detail(const std::string& body) {
  const auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const auto detail = parsed.find("detail");
    if (detail != parsed.end() && detail->is_string()) {
      return detail->get<std::string>();
    }
  }
  return "no JSON detail";
}

shared::HttpResponse jpeg_response(std::string body) {
  shared::HttpResponse response;
  response.content_type = "image/jpeg";
  response.body = std::move(body);
  response.set_header("Cache-Control", "no-store");
  return response;
}

// The request sent to the node, for error details and logs.
struct NodeRequest {
  std::string node_id;
  std::string target;
  std::string where;  // address:port
};

shared::HttpResponse relay_reply(const NodeRequest& request, shared::HttpClientResult reply,
                                 ScreenshotProxySettings settings) {
  const auto node = "node " + request.node_id;
  if (!reply.ok && reply.timed_out) {
    return shared::HttpResponse::error(
        502, node + " did not reply to GET " + request.target + " at " + request.where +
                 " within " + std::to_string(settings.node_timeout.count()) + " ms");
  }
  if (!reply.ok && reply.error == kBodyLimitError) {
    return shared::HttpResponse::error(
        502, node + " replied to GET " + request.target + " with more than " +
                 std::to_string(kMaxScreenshotBytes) + " bytes, the maximum the hub reads");
  }
  if (!reply.ok) {
    return shared::HttpResponse::error(
        502, node + " cannot be reached at " + request.where + ": " + reply.error);
  }
  if (reply.status == 200) {
    if (!std::string_view(reply.body).starts_with(kJpegSignature)) {
      return shared::HttpResponse::error(502, node + " replied to GET " + request.target +
                                                  " with a body that is not a JPEG image");
    }
    return jpeg_response(std::move(reply.body));
  }
  const auto detail = node_detail(reply.body);
  if (reply.status == 503) {
    // Limitation: the node's Retry-After header is not passed on, because HttpClientResult
    // carries no headers. Adding them to the client would lift this.
    return shared::HttpResponse::error(503, node + " has no screenshot: " + detail);
  }
  auto message = node + " replied to GET " + request.target + " with HTTP " +
                 std::to_string(reply.status) + ": " + detail;
  if (reply.status == 401) {
    message +=
        ". The hub's API token for this node is missing or wrong: set --node-token, "
        "--node-tokens-file or WINEBOT_HUB_NODE_TOKEN.";
  }
  return shared::HttpResponse::error(502, message);
}

asio::awaitable<shared::HttpResponse> serve_screenshot(const shared::HttpRequest& request,
                                                       const NodeRegistry& registry,
                                                       const NodeTokens& tokens,
                                                       ScreenshotProxySettings settings) {
  std::string error;
  const auto width = shared::parse_thumbnail_width(request.query_value("width"), error);
  if (!width) {
    co_return shared::HttpResponse::error(400, error);
  }
  co_return co_await fetch_node_screenshot(registry, tokens, request.path_param("id"), *width,
                                           settings);
}

}  // namespace

asio::awaitable<shared::HttpResponse> fetch_node_screenshot(const NodeRegistry& registry,
                                                            const NodeTokens& tokens,
                                                            std::string node_id, int width,
                                                            ScreenshotProxySettings settings) {
  const NodeRecord* node = registry.find(node_id);
  if (node == nullptr) {
    co_return shared::HttpResponse::error(404, "node not found: " + node_id);
  }
  if (node->provisional) {
    co_return shared::HttpResponse::error(
        409, "node " + node_id + " is not identified yet, because no probe has returned its " +
                 "node_id (" + node->state_reason + ")");
  }
  const auto endpoints = node->probe_order();
  if (endpoints.empty()) {
    co_return shared::HttpResponse::error(502, "node " + node_id + " has no known address");
  }
  // Copied before the first suspension: the registry may change or drop the node meanwhile.
  const auto address = endpoints.front().address;
  const auto port = endpoints.front().port;
  NodeRequest target{node_id, "/screenshot?width=" + std::to_string(width),
                     address + ":" + std::to_string(port)};
  std::vector<std::pair<std::string, std::string>> headers;
  if (const auto token = tokens.token_for(node_id)) {
    headers.emplace_back("X-API-Key", *token);
  }

  shared::HttpConnection connection(
      co_await asio::this_coro::executor,
      shared::HttpClientLimits{settings.node_timeout, kMaxScreenshotBytes});
  auto reply = co_await connection.request(address, port, "GET", target.target, {}, headers);
  const auto elapsed_ms = reply.elapsed_ms;
  auto response = relay_reply(target, std::move(reply), settings);
  const std::vector<shared::LogField> fields{
      shared::field("node", node_id), shared::field("address", target.where),
      shared::field("width", width), shared::field("status", response.status),
      shared::field("elapsed_ms", elapsed_ms)};
  // A node without a display fails every request while a dashboard polls it, so its 503 is a
  // debug line. The node logs each new cause.
  if (response.status == 200 || response.status == 503) {
    shared::log_debug(response.status == 200 ? "node.screenshot" : "node.screenshot_unavailable",
                      fields);
  } else {
    auto with_detail = fields;
    with_detail.push_back(shared::field("detail", node_detail(response.body)));
    shared::log_info("node.screenshot_failed", with_detail);
  }
  co_return response;
}

void add_screenshot_route(shared::Router& router, const NodeRegistry& registry,
                          const NodeTokens& tokens, ScreenshotProxySettings settings) {
  router.add_async("GET", "/api/nodes/{id}/screenshot",
                   [&registry, &tokens, settings](const shared::HttpRequest& request) {
                     return serve_screenshot(request, registry, tokens, settings);
                   });
}

json screenshot_openapi_paths() {
  const auto error_reply = [](const char* description) {
    return json{{"description", description},
                {"content",
                 {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  };
  const json parameters = json::array(
      {{{"name", "id"},
        {"in", "path"},
        {"required", true},
        {"description", "Node id"},
        {"schema", {{"type", "string"}}}},
       {{"name", "width"},
        {"in", "query"},
        {"required", false},
        {"description",
         "Image width in pixels; the height keeps the display's aspect ratio. A display narrower "
         "than this is returned at its own width."},
        {"schema",
         {{"type", "integer"},
          {"minimum", shared::kMinThumbnailWidth},
          {"maximum", shared::kMaxThumbnailWidth},
          {"default", shared::kDefaultThumbnailWidth}}}}});
  const json image{
      {"description", "The node's X display as a JPEG image"},
      {"content", {{"image/jpeg", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
  return {
      {"/api/nodes/{id}/screenshot",
       {{"get",
         {{"summary", "A JPEG thumbnail of a node's X display, fetched from the node"},
          {"parameters", parameters},
          {"responses",
           {{"200", image},
            {"400", error_reply("Invalid width")},
            {"404", error_reply("Unknown node")},
            {"409", error_reply("Node not identified yet")},
            {"502", error_reply("The node did not reply, or failed")},
            {"503", error_reply("The node has no display, or is busy taking screenshots")}}}}}}}};
}

}  // namespace winebot::hub

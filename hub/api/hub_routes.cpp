#include "hub/api/hub_routes.hpp"

#include <nlohmann/json.hpp>

#include "hub/api/static_files.hpp"
#include "hub/registry/node_json.hpp"
#include "hub/registry/node_registry.hpp"

namespace winebot::hub {
namespace {

using nlohmann::json;

shared::HttpResponse list_nodes(const NodeRegistry& registry, const shared::HttpRequest& request) {
  std::optional<NodeState> requested_state;
  if (const auto state = request.query_value("state"); state && !state->empty()) {
    requested_state = parse_node_state(*state);
    if (!requested_state) {
      return shared::HttpResponse::error(
          400,
          "invalid state '" + *state + "': expected discovered, online, degraded, offline or gone");
    }
  }

  json nodes = json::array();
  for (const NodeRecord* node : registry.nodes()) {
    if (requested_state && node->state != *requested_state) {
      continue;
    }
    nodes.push_back(node_to_json(*node));
  }
  const auto count = nodes.size();
  return shared::HttpResponse::json(200, json{{"nodes", std::move(nodes)}, {"count", count}});
}

void add_security_headers(const shared::HttpRequest& /*request*/, shared::HttpResponse& response) {
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Referrer-Policy", "same-origin");
  response.set_header("Content-Security-Policy",
                      "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                      "frame-ancestors 'none'");
}

}  // namespace

void add_hub_routes(shared::Router& router, const NodeRegistry& registry,
                    const std::filesystem::path& web_root) {
  router.set_response_decorator(&add_security_headers);

  router.add("GET", "/healthz", [](const shared::HttpRequest&) {
    return shared::HttpResponse::json(200, json{{"status", "ok"}});
  });
  router.add("GET", "/api/nodes", [&registry](const shared::HttpRequest& request) {
    return list_nodes(registry, request);
  });
  router.add("GET", "/api/nodes/{id}", [&registry](const shared::HttpRequest& request) {
    const auto& id = request.path_param("id");
    const NodeRecord* node = registry.find(id);
    if (node == nullptr) {
      return shared::HttpResponse::error(404, "node not found: " + id);
    }
    return shared::HttpResponse::json(200, node_to_json(*node));
  });
  router.set_fallback([web_root](const shared::HttpRequest& request) {
    if (request.path.rfind("/api/", 0) == 0) {
      return shared::HttpResponse::error(404, "Not Found");
    }
    return serve_static_file(web_root, request);
  });
}

void add_readiness_route(shared::Router& router, std::function<bool()> is_ready) {
  router.add("GET", "/readyz", [is_ready = std::move(is_ready)](const shared::HttpRequest&) {
    if (!is_ready()) {
      return shared::HttpResponse::error(503, "not ready: starting or stopping");
    }
    return shared::HttpResponse::json(200, json{{"status", "ready"}});
  });
}

}  // namespace winebot::hub

#include "hub/api/hub_routes.hpp"

#include <memory>

#include <nlohmann/json.hpp>

#include "hub/api/node_json_cache.hpp"
#include "hub/api/node_query.hpp"
#include "hub/api/static_files.hpp"
#include "hub/registry/node_json.hpp"
#include "hub/registry/node_registry.hpp"

namespace winebot::hub {
namespace {

using nlohmann::json;

// The newest GET /api/nodes body with the query and registry revision it was built for. Many
// clients that read an unchanged fleet then cost a copy of one string each, not a sort, a
// filter and a join of every node's text.
struct NodeListMemo {
  std::string target;  // Path and query string.
  std::uint64_t revision = 0;
  std::size_t node_count = 0;
  std::string body;
};

shared::HttpResponse list_nodes(const NodeRegistry& registry, NodeJsonCache& cache,
                                NodeListMemo& memo, const shared::HttpRequest& request) {
  if (registry.revision() != 0 && memo.revision == registry.revision() &&
      memo.node_count == registry.size() && memo.target == request.target) {
    shared::HttpResponse response;
    response.body = memo.body;
    return response;
  }
  if (const auto repeated = find_repeated_parameter(request.target)) {
    return shared::HttpResponse::error(400, "parameter '" + *repeated +
                                                "' is given more than once: give it once, with "
                                                "list items separated by commas");
  }
  std::string error;
  const auto query = parse_node_query(request.query, error);
  if (!query) {
    return shared::HttpResponse::error(400, error);
  }

  const auto all = registry.nodes();
  const auto page = select_nodes(all, *query);
  std::vector<const std::string*> texts;
  texts.reserve(page.nodes.size());
  for (const NodeRecord* node : page.nodes) {
    texts.push_back(&cache.text(*node));
  }
  shared::HttpResponse response;
  response.body = node_list_body(texts, page.total, query->offset, query->limit);
  cache.prune(all);
  memo = {request.target, registry.revision(), registry.size(), response.body};
  return response;
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
  auto cache = std::make_shared<NodeJsonCache>();
  auto memo = std::make_shared<NodeListMemo>();
  router.add("GET", "/api/nodes", [&registry, cache, memo](const shared::HttpRequest& request) {
    return list_nodes(registry, *cache, *memo, request);
  });
  router.add("GET", "/api/nodes/{id}", [&registry](const shared::HttpRequest& request) {
    const auto& id = request.path_param("id");
    const NodeRecord* node = registry.find(id);
    if (node == nullptr) {
      return shared::HttpResponse::error(404, "node not found: " + id);
    }
    return shared::HttpResponse::json(200, listed_node(*node));
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

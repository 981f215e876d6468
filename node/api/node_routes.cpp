#include "node/api/node_routes.hpp"

#include <nlohmann/json.hpp>

#include "shared/util/uuid.hpp"
#include "winebot/version.hpp"

namespace winebot::node {
namespace {

using nlohmann::json;

double uptime_seconds(const NodeStatus& status) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - status.started_steady)
      .count();
}

std::int64_t epoch_ms(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// Headers of WineBot's contract on every response, errors included.
void decorate(const shared::HttpRequest& /*request*/, shared::HttpResponse& response) {
  response.set_header("X-WineBot-API-Version", kApiVersion);
  response.set_header("X-WineBot-Build-Version", kVersion);
  response.set_header("X-WineBot-Artifact-Schema-Version", kArtifactSchemaVersion);
  response.set_header("X-WineBot-Event-Schema-Version", kEventSchemaVersion);
  response.set_header("X-Request-ID", shared::generate_uuid_v4());
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "strict-origin-when-cross-origin");
  response.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

}  // namespace

void add_node_routes(shared::Router& router, const NodeStatus& status) {
  router.set_response_decorator(&decorate);

  router.add("GET", "/version", [&status](const shared::HttpRequest&) {
    return shared::HttpResponse::json(200, json{{"version", kVersion},
                                                {"api_version", kApiVersion},
                                                {"artifact_schema_version", kArtifactSchemaVersion},
                                                {"event_schema_version", kEventSchemaVersion},
                                                {"os", "Linux"},
                                                {"hostname", status.hostname},
                                                {"winbot_version", kVersion}});
  });

  router.add("GET", "/health", [&status](const shared::HttpRequest&) {
    const bool stopping = status.stopping();
    return shared::HttpResponse::json(stopping ? 503 : 200,
                                      json{{"status", stopping ? "stopping" : "ok"},
                                           {"node_id", status.node_id},
                                           {"version", kVersion},
                                           {"uptime_seconds", uptime_seconds(status)}});
  });

  router.add("GET", "/state", [&status](const shared::HttpRequest&) {
    json state{{"node_id", status.node_id},
               {"name", status.advertised_name()},
               {"version", kVersion},
               {"hostname", status.hostname},
               {"api_port", status.api_port},
               {"started_at_ms", epoch_ms(status.started_at)},
               {"uptime_seconds", uptime_seconds(status)},
               {"advertised", status.advertised()},
               {"stopping", status.stopping()}};
    for (const auto& extend : status.state_extensions) {
      extend(state);
    }
    return shared::HttpResponse::json(200, state);
  });
}

}  // namespace winebot::node

#include "tests/sim/simulated_node_routes.hpp"

#include <nlohmann/json.hpp>

#include "node/api/node_routes.hpp"
#include "shared/config/option_parser.hpp"
#include "shared/metrics/prometheus_text.hpp"
#include "winebot/version.hpp"

namespace winebot::sim {
namespace {

using nlohmann::json;
using shared::HttpRequest;
using shared::HttpResponse;

constexpr std::size_t kLifecycleDefaultLimit = 100;
constexpr std::size_t kInputDefaultLimit = 200;
constexpr std::size_t kTelemetryDefaultLimit = 100;

// The version headers of WineBot's contract, on every response.
void decorate(const HttpRequest& /*request*/, HttpResponse& response) {
  response.set_header("X-WineBot-API-Version", node::kApiVersion);
  response.set_header("X-WineBot-Build-Version", kVersion);
  response.set_header("X-WineBot-Event-Schema-Version", node::kEventSchemaVersion);
}

// Reads `limit` as the node does: a whole number from 1 to kMaxEventsPerRequest, 400 otherwise.
std::optional<std::size_t> parse_limit(const HttpRequest& request, std::size_t default_limit,
                                       HttpResponse& error) {
  const auto text = request.query_value("limit");
  if (!text) {
    return default_limit;
  }
  const auto value = shared::parse_integer(*text);
  if (!value || *value < 1 || static_cast<unsigned long long>(*value) > kMaxEventsPerRequest) {
    error = HttpResponse::error(400, "limit must be an integer from 1 to " +
                                         std::to_string(kMaxEventsPerRequest) + " (got '" + *text +
                                         "')");
    return std::nullopt;
  }
  return static_cast<std::size_t>(*value);
}

HttpResponse read_events(const HttpRequest& request, const SimulatedEventLog& log,
                         std::size_t default_limit) {
  HttpResponse error;
  const auto limit = parse_limit(request, default_limit, error);
  if (!limit) {
    return error;
  }
  const auto after = request.query_value("after");
  if (!after) {
    return HttpResponse::json(200, {{"events", log.newest(*limit)}});
  }
  auto page = log.read_after(*after, *limit);
  if (!page.error.empty()) {
    return HttpResponse::error(400, page.error);
  }
  return HttpResponse::json(
      200, {{"events", std::move(page.events)},
            {"positions", std::move(page.positions)},
            {"next", page.next},
            {"restart", page.restart.empty() ? json(nullptr) : json(page.restart)}});
}

}  // namespace

void add_simulated_node_routes(shared::Router& router, SimulatedNode& node, SimulationClock clock,
                               RequestCounts& counts) {
  router.set_response_decorator(&decorate);

  // Every handler counts its request and plays the node's events up to now before it responds.
  const auto route = [&router, &node, clock](const char* path, std::uint64_t& count, auto respond) {
    router.add("GET", path, [&node, clock, &count, respond](const HttpRequest& request) {
      ++count;
      const auto now = clock();
      node.advance(now);
      return respond(request, now);
    });
  };

  route("/state", counts.state, [&node](const HttpRequest&, SimulatedNode::TimePoint now) {
    return HttpResponse::json(200, node.state_json(now));
  });
  route("/version", counts.other, [&node](const HttpRequest&, SimulatedNode::TimePoint) {
    return HttpResponse::json(200, node.version_json());
  });
  route("/health", counts.other, [&node](const HttpRequest&, SimulatedNode::TimePoint now) {
    return HttpResponse::json(200, node.health_json(now));
  });
  route("/metrics", counts.metrics, [&node](const HttpRequest&, SimulatedNode::TimePoint now) {
    HttpResponse response;
    response.content_type = shared::kPrometheusContentType;
    response.body = node.metrics_text(now);
    return response;
  });
  route("/lifecycle/events", counts.events,
        [&node](const HttpRequest& request, SimulatedNode::TimePoint) {
          return read_events(request, node.lifecycle(), kLifecycleDefaultLimit);
        });
  route("/input/events", counts.events,
        [&node](const HttpRequest& request, SimulatedNode::TimePoint) {
          return read_events(request, node.input(), kInputDefaultLimit);
        });
  route("/telemetry/events", counts.events,
        [&node](const HttpRequest& request, SimulatedNode::TimePoint) {
          return read_events(request, node.telemetry(), kTelemetryDefaultLimit);
        });
  router.add("GET", "/sim/stats", [&counts](const HttpRequest&) {
    return HttpResponse::json(200, {{"requests",
                                     {{"state", counts.state},
                                      {"metrics", counts.metrics},
                                      {"events", counts.events},
                                      {"other", counts.other}}}});
  });
}

}  // namespace winebot::sim

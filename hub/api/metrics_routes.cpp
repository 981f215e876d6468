#include "hub/api/metrics_routes.hpp"

#include <map>

#include "hub/api/node_query.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/metrics/prometheus_text.hpp"
#include "winebot/version.hpp"

namespace winebot::hub {
namespace {

constexpr NodeState kAllStates[] = {NodeState::kDiscovered, NodeState::kOnline,
                                    NodeState::kDegraded, NodeState::kOffline, NodeState::kGone};

void write_node_counts(const NodeRegistry& registry, shared::PrometheusText& page) {
  std::map<std::string, int> by_state;
  std::map<std::string, int> by_recorder;
  int advertised = 0;
  int failing = 0;
  double latency_sum_ms = 0;
  int answering = 0;
  for (const auto state : kAllStates) {
    by_state[to_string(state)] = 0;  // every state appears, so a drop to zero is visible
  }
  for (const NodeRecord* node : registry.nodes()) {
    ++by_state[to_string(node->state)];
    ++by_recorder[recorder_state_of(*node)];
    advertised += node->advertised() ? 1 : 0;
    failing += node->consecutive_failures > 0 ? 1 : 0;
    if (node->state == NodeState::kOnline || node->state == NodeState::kDegraded) {
      latency_sum_ms += node->last_latency_ms;
      ++answering;
    }
  }

  page.family("winebot_hub_nodes", "gauge", "Nodes known to the hub, by state.");
  for (const auto& [state, count] : by_state) {
    page.sample(count, {{"state", state}});
  }
  page.family("winebot_hub_node_recorders", "gauge",
              "Nodes by recorder state, from their newest /state or TXT record.");
  for (const auto& [state, count] : by_recorder) {
    page.sample(count, {{"state", state}});
  }
  page.gauge("winebot_hub_nodes_advertised", "Nodes with a current mDNS, SRV or static sighting.",
             advertised);
  page.gauge("winebot_hub_nodes_failing", "Nodes whose newest probe failed.", failing);
  page.gauge("winebot_hub_probe_latency_mean_seconds",
             "Mean latency of the newest successful probe of online and degraded nodes.",
             answering == 0 ? 0.0 : latency_sum_ms / answering / 1000.0);
}

}  // namespace

std::string hub_metrics_text(const NodeRegistry& registry, const HubMetricSources& sources) {
  shared::PrometheusText page;
  page.family("winebot_hub_build_info", "gauge", "Always 1; the version is a label.");
  page.sample(1, {{"version", kVersion}});
  write_node_counts(registry, page);
  if (sources.ingested_events) {
    page.counter("winebot_hub_ingested_events_total", "Node event rows committed to SQLite.",
                 static_cast<double>(sources.ingested_events()));
  }
  if (sources.ingest_batches) {
    page.counter("winebot_hub_ingest_batches_total", "Ingest transactions committed to SQLite.",
                 static_cast<double>(sources.ingest_batches()));
  }
  if (sources.stored_samples) {
    page.counter("winebot_hub_state_samples_total", "State samples committed to SQLite.",
                 static_cast<double>(sources.stored_samples()));
  }
  if (sources.dropped_samples) {
    page.counter("winebot_hub_state_samples_dropped_total",
                 "State samples dropped because the store's queue was full.",
                 static_cast<double>(sources.dropped_samples()));
  }
  if (sources.retention_deleted_rows) {
    page.counter("winebot_hub_retention_deleted_rows_total",
                 "Rows deleted by the retention age or the size budget.",
                 static_cast<double>(sources.retention_deleted_rows()));
  }
  if (sources.active_pollers) {
    page.gauge("winebot_hub_active_pollers", "Per-node poll loops running.",
               static_cast<double>(sources.active_pollers()));
  }
  if (sources.stream_clients) {
    page.gauge("winebot_hub_stream_clients", "Open GET /api/stream connections.",
               static_cast<double>(sources.stream_clients()));
  }
  if (sources.stream_dropped) {
    page.counter("winebot_hub_stream_dropped_events_total",
                 "Events dropped from the queues of slow GET /api/stream clients.",
                 static_cast<double>(sources.stream_dropped()));
  }
  return page.text();
}

void add_metrics_route(shared::Router& router, const NodeRegistry& registry,
                       HubMetricSources sources) {
  router.add("GET", "/metrics",
             [&registry, sources = std::move(sources)](const shared::HttpRequest&) {
               shared::HttpResponse response;
               response.content_type = shared::kPrometheusContentType;
               response.body = hub_metrics_text(registry, sources);
               return response;
             });
}

}  // namespace winebot::hub

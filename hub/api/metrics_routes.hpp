#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "shared/http/router.hpp"

namespace winebot::hub {

class NodeRegistry;

// Readings the hub's metrics take from components other than the registry. An empty function
// leaves its metric out.
struct HubMetricSources {
  std::function<std::uint64_t()> ingested_events;  // event rows committed to SQLite
  std::function<std::uint64_t()> ingest_batches;   // ingest transactions committed
  std::function<std::size_t()> active_pollers;     // per-node poll loops running
  std::function<std::size_t()> stream_clients;     // open GET /api/stream connections
  std::function<std::uint64_t()> stream_dropped;   // events dropped from slow clients' queues
  std::function<std::uint64_t()> stored_samples;   // state samples committed to SQLite
  std::function<std::uint64_t()> dropped_samples;  // state samples dropped from a full queue
  std::function<std::uint64_t()> retention_deleted_rows;  // rows deleted by age or size budget
};

// Returns the hub's metrics in the Prometheus text format: nodes by state and by recorder
// state, advertised nodes, probe latency and failures, and the readings of `sources`.
std::string hub_metrics_text(const NodeRegistry& registry, const HubMetricSources& sources);

// Adds GET /metrics, serving hub_metrics_text on the io_context thread that owns `registry`.
void add_metrics_route(shared::Router& router, const NodeRegistry& registry,
                       HubMetricSources sources);

}  // namespace winebot::hub

#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include <boost/asio/any_io_executor.hpp>

#include "shared/http/router.hpp"

namespace winebot::hub {

class NodeRegistry;

struct TelemetryRouteSettings {
  std::filesystem::path db;
  std::int64_t sample_interval_ms = 10000;
  double recording_cpu_cores = 0.1;
  std::function<std::int64_t()> now_ms;
  // Executor of the threads that run the summary and telemetry queries, so they never hold the
  // io_context thread. Required.
  boost::asio::any_io_executor reader;
};

// Adds the routes that read the stored time series:
// - GET /api/nodes/{id}/samples: a node's state samples (`since`, `until`, `limit`).
// - GET /api/fleet/summary: nodes by state and recorder state now, and over `window` seconds the
//   node-seconds recording and paused (by hand and by inactivity), automatic pauses and resumes,
//   and the CPU time those pauses saved by estimate.
// - GET /api/telemetry: the metrics seen, a metric's percentiles over time (fleet-wide or for
//   `node`), or with `by=node` one summary per node.
// Each request opens its own read-only SQLite connection. The summary and telemetry queries run
// on `reader`; the samples query is bounded by its limit and runs on the io_context thread.
void add_telemetry_routes(shared::Router& router, const NodeRegistry& registry,
                          TelemetryRouteSettings settings);

}  // namespace winebot::hub

#pragma once

#include <functional>

#include "shared/http/router.hpp"
#include "tests/sim/simulated_node.hpp"

namespace winebot::sim {

using SimulationClock = std::function<SimulatedNode::TimePoint()>;

// Requests served by the nodes that share this object, by kind. Benchmarks read it through
// GET /sim/stats to divide a consumer's CPU time by the requests it made.
struct RequestCounts {
  std::uint64_t state = 0;    // GET /state
  std::uint64_t metrics = 0;  // GET /metrics
  std::uint64_t events = 0;   // The three event endpoints.
  std::uint64_t other = 0;    // GET /version and /health.
};

// Largest `limit` the event endpoints accept, as the node's default WINEBOT_MAX_EVENTS_QUERY.
inline constexpr std::size_t kMaxEventsPerRequest = 1000;

// Adds the node contract that the hub reads to `router`, served from `node`: GET /state,
// /version, /health, /metrics, and the cursor reads of /lifecycle/events, /input/events and
// /telemetry/events. Each request first advances the node to `clock()` and is counted in
// `counts`, which GET /sim/stats returns. `node` and `counts` must outlive the router.
void add_simulated_node_routes(shared::Router& router, SimulatedNode& node, SimulationClock clock,
                               RequestCounts& counts);

}  // namespace winebot::sim

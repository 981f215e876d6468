#include "hub/api/telemetry_routes.hpp"

#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "hub/api/node_query.hpp"
#include "hub/api/query_params.hpp"
#include "hub/registry/node_registry.hpp"
#include "hub/store/fleet_summary.hpp"
#include "hub/store/rollups.hpp"
#include "hub/store/state_samples.hpp"
#include "shared/log/logger.hpp"
#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using shared::HttpRequest;
using shared::HttpResponse;

constexpr long long kDefaultSampleLimit = 720;
constexpr long long kMaxSampleLimit = 10000;
constexpr long long kDefaultWindowSeconds = 3600;
constexpr long long kMinWindowSeconds = 60;
constexpr long long kMaxWindowSeconds = 30LL * 24 * 3600;
// Windows up to this long default to minute rollups, longer ones to hour rollups.
constexpr long long kMinuteResolutionMaxWindowSeconds = 6 * 3600;
// A sample stands for at most this many sample intervals, so a gap in the series counts as unknown.
constexpr std::int64_t kMaxSampleGapIntervals = 3;

const char* const kNodeStates[] = {"discovered", "online", "degraded", "offline", "gone"};
const char* const kRecorderStates[] = {"disabled", "idle",    "recording", "paused",
                                       "stopping", "stalled", "unknown"};

template <typename Value>
json or_null(const std::optional<Value>& value) {
  return value ? json(*value) : json(nullptr);
}

json sample_to_json(const StateSample& sample) {
  return {{"at_ms", sample.at_ms},
          {"state", sample.state},
          {"recorder_state", sample.recorder_state},
          {"idle_seconds", or_null(sample.idle_seconds)},
          {"controller", or_null(sample.controller)},
          {"latency_ms", or_null(sample.latency_ms)},
          {"auto_pauses", or_null(sample.auto_pauses)},
          {"auto_resumes", or_null(sample.auto_resumes)},
          {"paused_by_inactivity_seconds", or_null(sample.paused_by_inactivity_seconds)}};
}

json aggregate_to_json(const RollupAggregate& aggregate) {
  const double mean =
      aggregate.count == 0 ? 0 : aggregate.sum / static_cast<double>(aggregate.count);
  return {{"count", aggregate.count},
          {"sum", aggregate.sum},
          {"min", aggregate.min},
          {"max", aggregate.max},
          {"mean", mean},
          {"p50", or_null(aggregate.quantile(0.50))},
          {"p90", or_null(aggregate.quantile(0.90))},
          {"p99", or_null(aggregate.quantile(0.99))}};
}

// The value a store read returned, or the error it failed with.
template <typename Value>
struct ReadResult {
  std::optional<Value> value;
  std::string error;
};

// Runs `read` with its own read-only connection and returns its value or its SQLite error, so no
// exception crosses a co_await.
template <typename Read>
auto guarded_read(const std::filesystem::path& db, const Read& read) {
  ReadResult<std::invoke_result_t<Read, shared::Database&>> result;
  try {
    shared::Database database(db, true);
    result.value = read(database);
  } catch (const shared::SqliteError& failure) {
    result.error = failure.what();
  }
  return result;
}

// Runs `read` as a coroutine for co_spawn on the reader executor, so a long query never blocks the
// io_context thread. It takes pointers because GCC 12 destroyed a coroutine's by-value lambda
// parameter twice. The caller's frame owns both objects and stays suspended until this returns.
template <typename Read>
asio::awaitable<ReadResult<std::invoke_result_t<Read, shared::Database&>>> read_store(
    const std::filesystem::path* db, const Read* read) {
  co_return guarded_read(*db, *read);
}

HttpResponse store_read_failed(const char* event, const std::string& error) {
  shared::log_error(event, {shared::field("error", error)});
  return HttpResponse::error(503, "store unavailable: " + error);
}

HttpResponse node_samples(const HttpRequest& request, const NodeRegistry& registry,
                          const TelemetryRouteSettings& settings) {
  const auto& id = request.path_param("id");
  if (registry.find(id) == nullptr) {
    return HttpResponse::error(404, "node not found: " + id);
  }
  HttpResponse error;
  const auto since = integer_query(request, "since", 0, 0, INT64_MAX, error);
  const auto until = integer_query(request, "until", INT64_MAX, 0, INT64_MAX, error);
  const auto limit =
      integer_query(request, "limit", kDefaultSampleLimit, 1, kMaxSampleLimit, error);
  if (!since || !until || !limit) {
    return error;
  }
  if (*since > *until) {
    return HttpResponse::error(400, "invalid range: since " + std::to_string(*since) +
                                        " is after until " + std::to_string(*until));
  }
  // Bounded by `limit` and indexed, so this read stays on the io_context thread.
  const auto read_samples = [&](shared::Database& database) {
    json samples = json::array();
    for (const auto& sample : read_state_samples(database, id, *since, *until, *limit)) {
      samples.push_back(sample_to_json(sample));
    }
    return samples;
  };
  auto read = guarded_read(settings.db, read_samples);
  if (!read.value) {
    return store_read_failed("api.samples_failed", read.error);
  }
  return HttpResponse::json(200, {{"node_id", id},
                                  {"sample_interval_ms", settings.sample_interval_ms},
                                  {"samples", std::move(*read.value)}});
}

json node_counts(const NodeRegistry& registry) {
  json by_state = json::object();
  for (const auto* state : kNodeStates) {
    by_state[state] = 0;
  }
  json by_recorder = json::object();
  for (const auto* state : kRecorderStates) {
    by_recorder[state] = 0;
  }
  std::size_t total = 0;
  for (const auto* node : registry.nodes()) {
    if (node->provisional) {
      continue;
    }
    ++total;
    by_state[to_string(node->state)] = by_state[to_string(node->state)].get<long long>() + 1;
    const auto recorder = recorder_state_of(*node);
    by_recorder[recorder] = by_recorder.value(recorder, 0LL) + 1;
  }
  return {{"total", total}, {"by_state", by_state}, {"by_recorder_state", by_recorder}};
}

asio::awaitable<HttpResponse> fleet_summary(const HttpRequest& request,
                                            const NodeRegistry& registry,
                                            const TelemetryRouteSettings& settings) {
  HttpResponse error;
  const auto window = integer_query(request, "window", kDefaultWindowSeconds, kMinWindowSeconds,
                                    kMaxWindowSeconds, error);
  if (!window) {
    co_return error;
  }
  const auto until_ms = settings.now_ms();
  const auto since_ms = until_ms - *window * 1000;
  // The registry belongs to this thread, so the counts are read before the query moves away.
  auto counts = node_counts(registry);
  const auto max_gap_ms = settings.sample_interval_ms * kMaxSampleGapIntervals;
  const auto summarize = [since_ms, until_ms, max_gap_ms](shared::Database& database) {
    return summarize_stored_samples(database, since_ms, until_ms, max_gap_ms);
  };
  const auto read = co_await asio::co_spawn(settings.reader, read_store(&settings.db, &summarize),
                                            asio::use_awaitable);
  if (!read.value) {
    co_return store_read_failed("api.summary_failed", read.error);
  }
  const auto& totals = *read.value;
  json seconds = {{"paused", totals.paused_seconds},
                  {"paused_manual", totals.paused_manual_seconds},
                  {"paused_inactivity", totals.paused_inactivity_seconds}};
  for (const auto* state : kRecorderStates) {
    if (std::string(state) != "paused") {
      const auto found = totals.seconds_by_recorder_state.find(state);
      seconds[state] = found == totals.seconds_by_recorder_state.end() ? 0.0 : found->second;
    }
  }
  co_return HttpResponse::json(200,
                               {{"window_seconds", *window},
                                {"since_ms", since_ms},
                                {"until_ms", until_ms},
                                {"nodes", std::move(counts)},
                                {"time_seconds", std::move(seconds)},
                                {"auto_pauses", totals.auto_pauses},
                                {"auto_resumes", totals.auto_resumes},
                                {"recording_cpu_cores", settings.recording_cpu_cores},
                                {"estimated_cpu_seconds_saved",
                                 totals.paused_inactivity_seconds * settings.recording_cpu_cores}});
}

// The validated parameters of GET /api/telemetry.
struct TelemetryQuery {
  std::string metric;
  std::string node_id;
  bool by_node = false;
  std::int64_t resolution_ms = kMinuteMs;
  std::int64_t since_ms = 0;
  std::int64_t until_ms = 0;
};

std::optional<TelemetryQuery> parse_telemetry_query(const HttpRequest& request,
                                                    const NodeRegistry& registry,
                                                    const TelemetryRouteSettings& settings,
                                                    HttpResponse& error) {
  TelemetryQuery query;
  const auto window = integer_query(request, "window", kDefaultWindowSeconds, kMinWindowSeconds,
                                    kMaxWindowSeconds, error);
  if (!window) {
    return std::nullopt;
  }
  query.until_ms = settings.now_ms();
  query.since_ms = query.until_ms - *window * 1000;
  query.metric = request.query_value("metric").value_or("");
  query.node_id = request.query_value("node").value_or("");
  const auto by = request.query_value("by").value_or("");
  const auto resolution =
      request.query_value("resolution")
          .value_or(*window <= kMinuteResolutionMaxWindowSeconds ? "minute" : "hour");
  if (resolution == "minute") {
    query.resolution_ms = kMinuteMs;
  } else if (resolution == "hour") {
    query.resolution_ms = kHourMs;
  } else {
    error = HttpResponse::error(400,
                                "invalid resolution '" + resolution + "': expected minute or hour");
    return std::nullopt;
  }
  if (!by.empty() && by != "node") {
    error = HttpResponse::error(400, "invalid by '" + by + "': expected node");
    return std::nullopt;
  }
  query.by_node = by == "node";
  if (query.by_node && !query.node_id.empty()) {
    error =
        HttpResponse::error(400, "by=node compares every node; it cannot be combined with node");
    return std::nullopt;
  }
  if ((query.by_node || !query.node_id.empty()) && query.metric.empty()) {
    error = HttpResponse::error(400, "missing metric: by and node need a metric");
    return std::nullopt;
  }
  if (!query.node_id.empty() && registry.find(query.node_id) == nullptr) {
    error = HttpResponse::error(404, "node not found: " + query.node_id);
    return std::nullopt;
  }
  return query;
}

json metric_list(shared::Database& database, const TelemetryQuery& query) {
  json metrics = json::array();
  // Hour rollups are 60 times fewer rows, but the window's first hour then counts in full.
  for (const auto& [name, count] :
       read_metric_names(database, kHourMs, query.since_ms, query.until_ms)) {
    metrics.push_back({{"name", name}, {"count", count}});
  }
  return {{"since_ms", query.since_ms}, {"until_ms", query.until_ms}, {"metrics", metrics}};
}

json metric_by_node(const std::vector<RollupPoint>& points, const TelemetryQuery& query,
                    const NodeRegistry& registry) {
  json nodes = json::array();
  for (const auto& point : points) {
    auto entry = aggregate_to_json(point.aggregate);
    const auto* node = registry.find(point.node_id);
    entry["node_id"] = point.node_id;
    entry["name"] = node == nullptr ? json(nullptr) : json(node->name);
    nodes.push_back(std::move(entry));
  }
  return {{"metric", query.metric},
          {"since_ms", query.since_ms},
          {"until_ms", query.until_ms},
          {"nodes", std::move(nodes)}};
}

json metric_series(shared::Database& database, const TelemetryQuery& query) {
  json points = json::array();
  const auto node = query.node_id.empty() ? std::string(kFleetNodeId) : query.node_id;
  for (const auto& point : read_rollup_series(database, query.metric, node, query.resolution_ms,
                                              query.since_ms, query.until_ms)) {
    auto entry = aggregate_to_json(point.aggregate);
    entry["t_ms"] = point.bucket_ms;
    points.push_back(std::move(entry));
  }
  return {{"metric", query.metric},
          {"node_id", query.node_id.empty() ? json(nullptr) : json(query.node_id)},
          {"resolution", query.resolution_ms == kMinuteMs ? "minute" : "hour"},
          {"since_ms", query.since_ms},
          {"until_ms", query.until_ms},
          {"points", std::move(points)}};
}

asio::awaitable<HttpResponse> telemetry(const HttpRequest& request, const NodeRegistry& registry,
                                        const TelemetryRouteSettings& settings) {
  HttpResponse error;
  const auto query = parse_telemetry_query(request, registry, settings, error);
  if (!query) {
    co_return error;
  }
  const TelemetryQuery& telemetry_query = *query;
  if (telemetry_query.by_node) {
    const auto read_by_node = [&telemetry_query](shared::Database& database) {
      return read_rollups_by_node(database, telemetry_query.metric, telemetry_query.resolution_ms,
                                  telemetry_query.since_ms, telemetry_query.until_ms);
    };
    const auto read = co_await asio::co_spawn(
        settings.reader, read_store(&settings.db, &read_by_node), asio::use_awaitable);
    if (!read.value) {
      co_return store_read_failed("api.telemetry_failed", read.error);
    }
    // Node names come from the registry, which belongs to this thread.
    co_return HttpResponse::json(200, metric_by_node(*read.value, *query, registry));
  }
  const auto read_json = [&telemetry_query](shared::Database& database) {
    return telemetry_query.metric.empty() ? metric_list(database, telemetry_query)
                                          : metric_series(database, telemetry_query);
  };
  const auto read = co_await asio::co_spawn(settings.reader, read_store(&settings.db, &read_json),
                                            asio::use_awaitable);
  if (!read.value) {
    co_return store_read_failed("api.telemetry_failed", read.error);
  }
  co_return HttpResponse::json(200, *read.value);
}

}  // namespace

void add_telemetry_routes(shared::Router& router, const NodeRegistry& registry,
                          TelemetryRouteSettings settings) {
  router.add("GET", "/api/nodes/{id}/samples", [&registry, settings](const HttpRequest& request) {
    return node_samples(request, registry, settings);
  });
  router.add_async("GET", "/api/fleet/summary", [&registry, settings](const HttpRequest& request) {
    return fleet_summary(request, registry, settings);
  });
  router.add_async("GET", "/api/telemetry", [&registry, settings](const HttpRequest& request) {
    return telemetry(request, registry, settings);
  });
}

}  // namespace winebot::hub

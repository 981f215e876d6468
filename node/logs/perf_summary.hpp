#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace winebot::node {

// Bounds on what one summary keeps in memory, whatever the file's size.
struct PerfSummaryLimits {
  std::size_t max_metrics = 1000;  // Further metric names are counted in `metrics_dropped`.
  // Per metric, at most this many values are kept for percentiles. Beyond that they are a uniform
  // random sample (reservoir sampling), while count, min, max and mean stay exact.
  std::size_t max_values_per_metric = 100'000;
};

// Summarises `logs/perf_metrics.jsonl` as WineBot's GET /recording/perf/summary does: it streams
// the file, counts every line in `lines_read` and invalid JSON in `parse_errors`, keeps objects
// whose `event` is "performance_metric" with a non-empty `metric` and a numeric `value_ms`, and
// returns {lines_read, parse_errors, metrics: {NAME: {count, min_ms, mean_ms, p50_ms, p90_ms,
// p95_ms, p99_ms, max_ms}}} with values rounded to 3 decimals. A metric whose percentiles come
// from a sample also carries "sampled": true. Returns an error string when the file cannot be
// read; a missing file is an error too, which the caller checks for first.
struct PerfSummaryResult {
  nlohmann::json summary;
  std::string error;
};
PerfSummaryResult summarize_perf_metrics(const std::filesystem::path& path,
                                         const PerfSummaryLimits& limits = {});

// The element WineBot picks for percentile `fraction` of `sorted` values: index
// round((n - 1) * fraction) with ties to even, as Python's round() does.
double percentile(const std::vector<double>& sorted, double fraction);

// Rounds to 3 decimals the way Python's round(value, 3) does: correctly rounded from the exact
// binary value.
double round_to_3_decimals(double value);

}  // namespace winebot::node

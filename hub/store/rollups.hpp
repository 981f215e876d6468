#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/store/quantile_sketch.hpp"

namespace winebot::shared {
class Database;
}

namespace winebot::hub {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
// The node id of fleet-wide rollups, which merge every node's values.
inline constexpr std::string_view kFleetNodeId = "";

// One telemetry value: a node's `performance_metric` record reduced to its metric and value_ms.
struct MetricValue {
  std::string metric;
  double value_ms = 0;
};

// Values above this are rejected: 10^12 ms is about 31 years, far beyond any operation's
// latency, and it keeps the sums of a rollup finite.
constexpr double kMaxMetricValueMs = 1e12;

// Reads `metric` and `value_ms` (a number, or text that contains one) from a telemetry record's
// JSON text. Returns nullopt for other records, an empty metric, and values that are negative,
// non-finite or above kMaxMetricValueMs.
std::optional<MetricValue> parse_metric_value(std::string_view body);

struct RollupKey {
  std::string metric;
  std::string node_id;  // kFleetNodeId for the fleet-wide rollup.
  std::int64_t resolution_ms = kMinuteMs;
  std::int64_t bucket_ms = 0;  // Start of the minute or hour, epoch ms.

  auto operator<=>(const RollupKey&) const = default;
};

struct RollupAggregate {
  std::uint64_t count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  QuantileSketch sketch;

  void add(double value);
  void merge(const RollupAggregate& other);
  // Returns the sketch's quantile clamped to [min, max], or nullopt when empty.
  std::optional<double> quantile(double q) const;
};

// The rollups that one ingest transaction changes: each value counts in its node's and the
// fleet's minute and hour.
class RollupBatch {
 public:
  void add(const std::string& node_id, std::int64_t at_ms, const MetricValue& value);
  const std::map<RollupKey, RollupAggregate>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }

 private:
  std::map<RollupKey, RollupAggregate> entries_;
};

// Merges batches into the `rollups` table with prepared statements. Runs inside the caller's
// transaction, on the writer thread, so a rollup changes exactly when its events are inserted.
class RollupWriter {
 public:
  explicit RollupWriter(shared::Database& database);
  ~RollupWriter();
  RollupWriter(const RollupWriter&) = delete;
  RollupWriter& operator=(const RollupWriter&) = delete;

  void write(const RollupBatch& batch);
  // Resets the statements after a failed transaction, so the next write can bind them again.
  void reset();

 private:
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

// One stored rollup row, merged over whatever the query grouped.
struct RollupPoint {
  std::int64_t bucket_ms = 0;
  std::string node_id;
  RollupAggregate aggregate;
};

// Reads the rollups of `metric` for one node (or kFleetNodeId) at `resolution_ms`, with buckets
// starting in [since_ms, until_ms], oldest first.
std::vector<RollupPoint> read_rollup_series(shared::Database& database, const std::string& metric,
                                            const std::string& node_id, std::int64_t resolution_ms,
                                            std::int64_t since_ms, std::int64_t until_ms);

// Merges each node's rollups of `metric` at `resolution_ms` over [since_ms, until_ms] into one
// point per node (bucket_ms is 0), ordered by node id.
std::vector<RollupPoint> read_rollups_by_node(shared::Database& database, const std::string& metric,
                                              std::int64_t resolution_ms, std::int64_t since_ms,
                                              std::int64_t until_ms);

// The metrics with fleet-wide rollups at `resolution_ms` in [since_ms, until_ms], with their
// value counts, ordered by name.
std::vector<std::pair<std::string, std::uint64_t>> read_metric_names(shared::Database& database,
                                                                     std::int64_t resolution_ms,
                                                                     std::int64_t since_ms,
                                                                     std::int64_t until_ms);

}  // namespace winebot::hub

#include "hub/store/rollups.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

std::int64_t bucket_start(std::int64_t at_ms, std::int64_t resolution_ms) {
  const auto remainder = at_ms % resolution_ms;
  return at_ms - (remainder < 0 ? remainder + resolution_ms : remainder);
}

std::optional<double> number_of(const nlohmann::json& value) {
  if (value.is_number()) {
    return value.get<double>();
  }
  if (!value.is_string()) {
    return std::nullopt;
  }
  const auto& text = value.get_ref<const std::string&>();
  char* end = nullptr;
  const double parsed = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    return std::nullopt;
  }
  return parsed;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

RollupAggregate aggregate_from_row(const shared::Statement& statement, int first_column) {
  RollupAggregate aggregate;
  aggregate.count = static_cast<std::uint64_t>(statement.column_int(first_column));
  aggregate.sum = statement.column_double(first_column + 1);
  aggregate.min = statement.column_double(first_column + 2);
  aggregate.max = statement.column_double(first_column + 3);
  // A sketch that fails to decode leaves the percentiles empty but keeps count, sum, min, max.
  if (auto sketch = QuantileSketch::deserialize(statement.column_blob(first_column + 4))) {
    aggregate.sketch = std::move(*sketch);
  }
  return aggregate;
}

}  // namespace

std::optional<MetricValue> parse_metric_value(std::string_view body) {
  const auto record = nlohmann::json::parse(body, nullptr, false);
  if (!record.is_object()) {
    return std::nullopt;
  }
  const auto metric = record.find("metric");
  const auto value = record.find("value_ms");
  if (metric == record.end() || value == record.end() || !metric->is_string()) {
    return std::nullopt;
  }
  auto name = trimmed(metric->get<std::string>());
  const auto number = number_of(*value);
  if (name.empty() || !number || !std::isfinite(*number) || *number < 0 ||
      *number > kMaxMetricValueMs) {
    return std::nullopt;
  }
  return MetricValue{std::move(name), *number};
}

void RollupAggregate::add(double value) {
  min = count == 0 ? value : std::min(min, value);
  max = count == 0 ? value : std::max(max, value);
  sum += value;
  ++count;
  sketch.add(value);
}

void RollupAggregate::merge(const RollupAggregate& other) {
  if (other.count == 0) {
    return;
  }
  min = count == 0 ? other.min : std::min(min, other.min);
  max = count == 0 ? other.max : std::max(max, other.max);
  sum += other.sum;
  count += other.count;
  sketch.merge(other.sketch);
}

std::optional<double> RollupAggregate::quantile(double q) const {
  const auto value = sketch.quantile(q);
  if (!value) {
    return std::nullopt;
  }
  return std::min(std::max(*value, min), max);
}

void RollupBatch::add(const std::string& node_id, std::int64_t at_ms, const MetricValue& value) {
  for (const auto resolution : {kMinuteMs, kHourMs}) {
    const auto bucket = bucket_start(at_ms, resolution);
    entries_[{value.metric, node_id, resolution, bucket}].add(value.value_ms);
    entries_[{value.metric, std::string(kFleetNodeId), resolution, bucket}].add(value.value_ms);
  }
}

struct RollupWriter::Statements {
  shared::Statement select;
  shared::Statement upsert;
};

RollupWriter::RollupWriter(shared::Database& database)
    : statements_(std::make_unique<Statements>(Statements{
          database.prepare(
              "SELECT count, sum, min, max, sketch FROM rollups WHERE "
              "resolution_ms = ?1 AND metric = ?2 AND node_id = ?3 AND bucket_ms = ?4"),
          database.prepare(
              "INSERT INTO rollups (resolution_ms, metric, node_id, bucket_ms, count, sum, min, "
              "max, sketch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
              "ON CONFLICT (resolution_ms, metric, node_id, bucket_ms) DO UPDATE SET "
              "count = ?5, sum = ?6, min = ?7, max = ?8, sketch = ?9")})) {}

RollupWriter::~RollupWriter() = default;

void RollupWriter::reset() {
  statements_->select.reset();
  statements_->upsert.reset();
}

void RollupWriter::write(const RollupBatch& batch) {
  auto& select = statements_->select;
  auto& upsert = statements_->upsert;
  for (const auto& [key, added] : batch.entries()) {
    RollupAggregate merged;
    select.bind(1, key.resolution_ms)
        .bind(2, key.metric)
        .bind(3, key.node_id)
        .bind(4, key.bucket_ms);
    if (select.step()) {
      merged = aggregate_from_row(select, 0);
    }
    select.reset();
    merged.merge(added);
    upsert.bind(1, key.resolution_ms)
        .bind(2, key.metric)
        .bind(3, key.node_id)
        .bind(4, key.bucket_ms)
        .bind(5, static_cast<std::int64_t>(merged.count))
        .bind_double(6, merged.sum)
        .bind_double(7, merged.min)
        .bind_double(8, merged.max)
        .bind_blob(9, merged.sketch.serialize());
    upsert.run();
  }
}

std::vector<RollupPoint> read_rollup_series(shared::Database& database, const std::string& metric,
                                            const std::string& node_id, std::int64_t resolution_ms,
                                            std::int64_t since_ms, std::int64_t until_ms) {
  auto statement = database.prepare(
      "SELECT bucket_ms, count, sum, min, max, sketch FROM rollups WHERE resolution_ms = ?1 AND "
      "metric = ?2 AND node_id = ?3 AND bucket_ms >= ?4 AND bucket_ms <= ?5 ORDER BY bucket_ms");
  statement.bind(1, resolution_ms)
      .bind(2, metric)
      .bind(3, node_id)
      .bind(4, bucket_start(since_ms, resolution_ms))
      .bind(5, until_ms);
  std::vector<RollupPoint> points;
  while (statement.step()) {
    points.push_back({statement.column_int(0), node_id, aggregate_from_row(statement, 1)});
  }
  return points;
}

std::vector<RollupPoint> read_rollups_by_node(shared::Database& database, const std::string& metric,
                                              std::int64_t resolution_ms, std::int64_t since_ms,
                                              std::int64_t until_ms) {
  // The time index reads only the window's rows, while the primary key would read every bucket of
  // every node.
  auto statement = database.prepare(
      "SELECT node_id, count, sum, min, max, sketch FROM rollups INDEXED BY "
      "rollups_by_metric_time WHERE resolution_ms = ?1 AND metric = ?2 AND bucket_ms >= ?3 AND "
      "bucket_ms <= ?4 AND node_id <> ''");
  statement.bind(1, resolution_ms)
      .bind(2, metric)
      .bind(3, bucket_start(since_ms, resolution_ms))
      .bind(4, until_ms);
  std::map<std::string, RollupAggregate> by_node;
  while (statement.step()) {
    by_node[statement.column_text(0)].merge(aggregate_from_row(statement, 1));
  }
  std::vector<RollupPoint> points;
  for (auto& [node_id, aggregate] : by_node) {
    points.push_back({0, node_id, std::move(aggregate)});
  }
  return points;
}

std::vector<std::pair<std::string, std::uint64_t>> read_metric_names(shared::Database& database,
                                                                     std::int64_t resolution_ms,
                                                                     std::int64_t since_ms,
                                                                     std::int64_t until_ms) {
  auto statement = database.prepare(
      "SELECT metric, sum(count) FROM rollups INDEXED BY rollups_by_time WHERE resolution_ms = ?1 "
      "AND bucket_ms >= ?2 AND bucket_ms <= ?3 AND node_id = '' GROUP BY metric ORDER BY metric");
  statement.bind(1, resolution_ms).bind(2, bucket_start(since_ms, resolution_ms)).bind(3, until_ms);
  std::vector<std::pair<std::string, std::uint64_t>> names;
  while (statement.step()) {
    names.emplace_back(statement.column_text(0),
                       static_cast<std::uint64_t>(statement.column_int(1)));
  }
  return names;
}

}  // namespace winebot::hub

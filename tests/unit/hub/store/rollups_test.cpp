#include "hub/store/rollups.hpp"

#include <catch2/catch.hpp>

#include "hub/store/node_store.hpp"
#include "shared/sqlite/database.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace winebot::hub {
namespace {

constexpr std::int64_t kMinute0 = 1'796'400'000'000;  // A whole hour, in epoch ms.

TEST_CASE("parse_metric_value reads WineBot metric records", "[store][rollups]") {
  const auto value = parse_metric_value(
      R"({"event":"performance_metric","metric":" recording.api_start.latency ","value_ms":12.5})");
  REQUIRE(value.has_value());
  CHECK(value->metric == "recording.api_start.latency");
  CHECK(value->value_ms == 12.5);

  const auto text_value = parse_metric_value(R"({"metric":"m","value_ms":"7.25"})");
  REQUIRE(text_value.has_value());
  CHECK(text_value->value_ms == 7.25);
}

TEST_CASE("parse_metric_value skips other records", "[store][rollups]") {
  CHECK_FALSE(parse_metric_value("not json").has_value());
  CHECK_FALSE(parse_metric_value(R"({"kind":"recording_started"})").has_value());
  CHECK_FALSE(parse_metric_value(R"({"metric":"","value_ms":1})").has_value());
  CHECK_FALSE(parse_metric_value(R"({"metric":"m","value_ms":"fast"})").has_value());
  CHECK_FALSE(parse_metric_value(R"({"metric":"m","value_ms":-1})").has_value());
  CHECK_FALSE(parse_metric_value(R"({"metric":7,"value_ms":1})").has_value());
}

TEST_CASE("RollupBatch counts a value for its node and the fleet", "[store][rollups]") {
  RollupBatch batch;
  batch.add("node-a", kMinute0 + 61'000, {"m", 4});
  batch.add("node-b", kMinute0 + 62'000, {"m", 6});
  const auto& entries = batch.entries();
  CHECK(entries.size() == 6);  // Two nodes and the fleet, by minute and by hour.
  const auto fleet_minute = entries.find({"m", "", kMinuteMs, kMinute0 + kMinuteMs});
  REQUIRE(fleet_minute != entries.end());
  CHECK(fleet_minute->second.count == 2);
  CHECK(fleet_minute->second.sum == 10);
  CHECK(fleet_minute->second.min == 4);
  CHECK(fleet_minute->second.max == 6);
  const auto node_hour = entries.find({"m", "node-a", kHourMs, kMinute0});
  REQUIRE(node_hour != entries.end());
  CHECK(node_hour->second.count == 1);
}

TEST_CASE("RollupWriter merges into stored rollups", "[store][rollups]") {
  test::TempFolder folder;
  const auto path = folder.file("hub.db");
  { NodeStore store(path); }
  shared::Database database(path);
  RollupWriter writer(database);

  RollupBatch first;
  for (int value = 1; value <= 50; ++value) {
    first.add("node-a", kMinute0 + 1000, {"m", static_cast<double>(value)});
  }
  writer.write(first);
  RollupBatch second;
  for (int value = 51; value <= 100; ++value) {
    second.add("node-b", kMinute0 + kMinuteMs + 1000, {"m", static_cast<double>(value)});
  }
  writer.write(second);

  const auto fleet = read_rollup_series(database, "m", "", kMinuteMs, kMinute0, kMinute0 + kHourMs);
  REQUIRE(fleet.size() == 2);
  CHECK(fleet[0].bucket_ms == kMinute0);
  CHECK(fleet[0].aggregate.count == 50);
  CHECK(fleet[1].aggregate.min == 51);

  const auto hour = read_rollup_series(database, "m", "", kHourMs, kMinute0, kMinute0 + kHourMs);
  REQUIRE(hour.size() == 1);
  CHECK(hour[0].aggregate.count == 100);
  CHECK(hour[0].aggregate.sum == 5050);
  CHECK(hour[0].aggregate.min == 1);
  CHECK(hour[0].aggregate.max == 100);
  CHECK(*hour[0].aggregate.sketch.quantile(0.5) == Approx(50).epsilon(0.02));

  const auto by_node = read_rollups_by_node(database, "m", kMinuteMs, kMinute0, kMinute0 + kHourMs);
  REQUIRE(by_node.size() == 2);
  CHECK(by_node[0].node_id == "node-a");
  CHECK(by_node[0].aggregate.max == 50);
  CHECK(by_node[1].node_id == "node-b");
  CHECK(by_node[1].aggregate.count == 50);

  const auto names = read_metric_names(database, kHourMs, kMinute0, kMinute0 + kHourMs);
  REQUIRE(names.size() == 1);
  CHECK(names[0].first == "m");
  CHECK(names[0].second == 100);
}

TEST_CASE("read_rollup_series keeps to its window", "[store][rollups]") {
  test::TempFolder folder;
  const auto path = folder.file("hub.db");
  { NodeStore store(path); }
  shared::Database database(path);
  RollupWriter writer(database);
  RollupBatch batch;
  for (int minute = 0; minute < 10; ++minute) {
    batch.add("node-a", kMinute0 + minute * kMinuteMs, {"m", 1});
  }
  writer.write(batch);
  const auto points = read_rollup_series(database, "m", "node-a", kMinuteMs,
                                         kMinute0 + 3 * kMinuteMs + 5, kMinute0 + 6 * kMinuteMs);
  REQUIRE(points.size() == 4);  // The minute that contains `since`, through the one at `until`.
  CHECK(points.front().bucket_ms == kMinute0 + 3 * kMinuteMs);
  CHECK(points.back().bucket_ms == kMinute0 + 6 * kMinuteMs);
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

RollupAggregate aggregate_of(std::initializer_list<double> values) {
  RollupAggregate aggregate;
  for (const double value : values) {
    aggregate.add(value);
  }
  return aggregate;
}

TEST_CASE("RollupAggregate percentiles of few values", "[store][rollups]") {
  const auto two = aggregate_of({1, 1000});
  CHECK(*two.quantile(0.5) == 1);  // Clamped to the min from a bucket midpoint of 0.99.
  CHECK(*two.quantile(0.9) == Approx(1000).epsilon(0.01));
  CHECK(*two.quantile(0.99) == Approx(1000).epsilon(0.01));

  const auto ten = aggregate_of({1, 1, 1, 1, 1, 1, 1, 1, 1, 1000});
  CHECK(*ten.quantile(0.9) == 1);
  CHECK(*ten.quantile(0.99) == Approx(1000).epsilon(0.01));

  const auto three = aggregate_of({1, 2, 3});
  CHECK(*three.quantile(0.9) == Approx(3).epsilon(0.01));

  const auto one = aggregate_of({100});
  CHECK(*one.quantile(0.5) == 100);

  const auto same = aggregate_of({3, 3, 3, 3, 3});
  CHECK(*same.quantile(0.5) == 3);
  CHECK(*same.quantile(0.99) == 3);
}

TEST_CASE("parse_metric_value rejects huge values", "[store][rollups]") {
  CHECK_FALSE(parse_metric_value(R"({"metric":"m","value_ms":1e308})").has_value());
  CHECK(parse_metric_value(R"({"metric":"m","value_ms":1e12})").has_value());
}

}  // namespace
}  // namespace winebot::hub

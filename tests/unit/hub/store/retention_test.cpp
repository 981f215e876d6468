#include "hub/store/retention.hpp"

#include <catch2/catch.hpp>

#include "hub/store/node_store.hpp"
#include "hub/store/rollups.hpp"
#include "shared/sqlite/database.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace winebot::hub {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'796'400'000'000;
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

std::int64_t count_rows(shared::Database& database, const std::string& sql) {
  auto statement = database.prepare(sql);
  REQUIRE(statement.step());
  return statement.column_int(0);
}

// Events ingested `age_ms` before kNow, with bodies of `body_bytes` bytes.
void insert_events(shared::Database& database, int count, std::int64_t age_ms,
                   std::size_t body_bytes = 20) {
  static int next_position = 0;
  database.execute(
      "INSERT OR IGNORE INTO event_sources (key, node_id, stream) VALUES (1, 'node-a', "
      "'lifecycle')");
  auto insert = database.prepare(
      "INSERT INTO event_rows (source, position, event_ms, ingested_ms, body) "
      "VALUES (1, ?1, 0, ?2, ?3)");
  shared::in_transaction(database, [&] {
    for (int index = 0; index < count; ++index) {
      insert.bind(1, std::to_string(next_position++))
          .bind(2, kNow - age_ms)
          .bind(3, std::string(body_bytes, 'x'));
      insert.run();
    }
  });
}

void insert_samples(shared::Database& database, int count, std::int64_t age_ms) {
  auto insert = database.prepare(
      "INSERT INTO state_samples (node_id, at_ms, state, recorder_state) "
      "VALUES ('node-a', ?1, 'online', 'recording')");
  for (int index = 0; index < count; ++index) {
    insert.bind(1, kNow - age_ms + index);
    insert.run();
  }
}

void insert_rollups(shared::Database& database, std::int64_t age_ms) {
  RollupWriter writer(database);
  RollupBatch batch;
  batch.add("node-a", kNow - age_ms, {"m", 1});
  writer.write(batch);
}

struct StoreFile {
  test::TempFolder folder;
  std::filesystem::path path = folder.file("hub.db");

  StoreFile() { NodeStore store(path); }
};

TEST_CASE("Retention deletes expired rows in batches", "[store][retention]") {
  StoreFile file;
  shared::Database database(file.path);
  insert_events(database, 25, 8 * kDayMs);
  insert_events(database, 5, 1 * kDayMs);
  RetentionSettings settings;
  settings.batch_rows = 10;

  const auto first = run_retention_step(database, settings, kNow);
  CHECK(first.table == "events");
  CHECK(first.deleted_rows == 10);
  CHECK_FALSE(first.over_budget);
  CHECK(run_retention_step(database, settings, kNow).deleted_rows == 10);
  CHECK(run_retention_step(database, settings, kNow).deleted_rows == 5);
  CHECK(run_retention_step(database, settings, kNow).deleted_rows == 0);
  CHECK(count_rows(database, "SELECT count(*) FROM events") == 5);
}

TEST_CASE("Retention keeps hour rollups longer than raw data", "[store][retention]") {
  StoreFile file;
  shared::Database database(file.path);
  insert_samples(database, 3, 8 * kDayMs);
  insert_samples(database, 2, 1 * kDayMs);
  insert_rollups(database, 30 * kDayMs);
  insert_rollups(database, 100 * kDayMs);
  RetentionSettings settings;

  while (run_retention_step(database, settings, kNow).deleted_rows > 0) {
  }
  CHECK(count_rows(database, "SELECT count(*) FROM state_samples") == 2);
  // Minute rollups follow the raw age, and hour rollups the rollup age.
  CHECK(count_rows(database, "SELECT count(*) FROM rollups WHERE resolution_ms = 60000") == 0);
  CHECK(count_rows(database, "SELECT count(*) FROM rollups WHERE resolution_ms = 3600000") == 2);
  const auto oldest_hour =
      count_rows(database, "SELECT min(bucket_ms) FROM rollups WHERE resolution_ms = 3600000");
  CHECK(oldest_hour > kNow - 90 * kDayMs);
}

TEST_CASE("Retention deletes the oldest rows above the size budget", "[store][retention]") {
  StoreFile file;
  shared::Database database(file.path);
  insert_events(database, 2000, 3 * kDayMs, 1000);
  insert_events(database, 200, 1 * kDayMs, 1000);
  const auto full = used_database_bytes(database);
  REQUIRE(full > 2'000'000);
  RetentionSettings settings;
  settings.max_bytes = 1'000'000;
  settings.batch_rows = 500;

  RetentionStep step;
  int steps = 0;
  do {
    step = run_retention_step(database, settings, kNow);
    ++steps;
  } while (step.deleted_rows > 0 && steps < 100);
  CHECK(used_database_bytes(database) <= settings.max_bytes);
  const auto remaining = count_rows(database, "SELECT count(*) FROM events");
  CHECK(remaining > 0);
  CHECK(remaining < 1000);
  // The newest rows are the ones kept.
  CHECK(count_rows(database, "SELECT count(*) FROM events WHERE ingested_ms = " +
                                 std::to_string(kNow - kDayMs)) == 200);
  release_free_pages(database);
  CHECK(count_rows(database, "PRAGMA freelist_count") < 10);
}

TEST_CASE("Retention without a budget keeps young rows", "[store][retention]") {
  StoreFile file;
  shared::Database database(file.path);
  insert_events(database, 100, 1 * kDayMs, 1000);
  RetentionSettings settings;
  const auto step = run_retention_step(database, settings, kNow);
  CHECK(step.deleted_rows == 0);
  CHECK(step.table.empty());
  CHECK(count_rows(database, "SELECT count(*) FROM events") == 100);
}

}  // namespace
}  // namespace winebot::hub

#include "hub/store/retention.hpp"

#include <sqlite3.h>

#include <array>

#include "hub/store/rollups.hpp"
#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

std::int64_t pragma_value(shared::Database& database, const char* pragma) {
  auto statement = database.prepare(std::string("PRAGMA ") + pragma);
  return statement.step() ? statement.column_int(0) : 0;
}

// One table's deletion: a DELETE of at most ?2 rows older than ?1 (epoch ms), oldest first.
struct Expiry {
  const char* table;
  const char* sql;
};

// Event ids grow with ingest time, so the oldest ids are the oldest rows, and the inner SELECT
// reads at most ?2 rows however large the table is.
constexpr std::array<Expiry, 4> kExpiries = {{
    {"events",
     "DELETE FROM event_rows WHERE id IN (SELECT id FROM event_rows ORDER BY id LIMIT ?2) "
     "AND ingested_ms < ?1"},
    {"state_samples",
     "DELETE FROM state_samples WHERE (node_id, at_ms) IN (SELECT node_id, at_ms FROM "
     "state_samples WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)"},
    {"rollups (minute)",
     "DELETE FROM rollups WHERE (resolution_ms, metric, node_id, bucket_ms) IN (SELECT "
     "resolution_ms, metric, node_id, bucket_ms FROM rollups WHERE resolution_ms = 60000 AND "
     "bucket_ms < ?1 ORDER BY bucket_ms LIMIT ?2)"},
    {"rollups (hour)",
     "DELETE FROM rollups WHERE (resolution_ms, metric, node_id, bucket_ms) IN (SELECT "
     "resolution_ms, metric, node_id, bucket_ms FROM rollups WHERE resolution_ms = 3600000 AND "
     "bucket_ms < ?1 ORDER BY bucket_ms LIMIT ?2)"},
}};

std::int64_t delete_batch(shared::Database& database, const Expiry& expiry, std::int64_t cutoff_ms,
                          std::int64_t rows) {
  std::int64_t deleted = 0;
  shared::in_transaction(database, [&] {
    auto statement = database.prepare(expiry.sql);
    statement.bind(1, cutoff_ms).bind(2, rows);
    statement.run();
    deleted = sqlite3_changes(database.handle());
  });
  return deleted;
}

}  // namespace

std::int64_t used_database_bytes(shared::Database& database) {
  const auto pages = pragma_value(database, "page_count");
  const auto free_pages = pragma_value(database, "freelist_count");
  return (pages - free_pages) * pragma_value(database, "page_size");
}

void release_free_pages(shared::Database& database) {
  database.execute("PRAGMA incremental_vacuum(1000)");
}

RetentionStep run_retention_step(shared::Database& database, const RetentionSettings& settings,
                                 std::int64_t now_ms) {
  const auto raw_cutoff = now_ms - settings.raw_age.count();
  const std::array<std::int64_t, 4> cutoffs = {raw_cutoff, raw_cutoff, raw_cutoff,
                                               now_ms - settings.rollup_age.count()};
  for (std::size_t index = 0; index < kExpiries.size(); ++index) {
    const auto deleted =
        delete_batch(database, kExpiries[index], cutoffs[index], settings.batch_rows);
    if (deleted > 0) {
      return {deleted, kExpiries[index].table, false};
    }
  }
  if (settings.max_bytes <= 0 || used_database_bytes(database) <= settings.max_bytes) {
    return {};
  }
  // Over the budget with nothing expired: the oldest rows go, whatever their age.
  for (const auto& expiry : kExpiries) {
    const auto deleted = delete_batch(database, expiry, INT64_MAX, settings.batch_rows);
    if (deleted > 0) {
      return {deleted, expiry.table, true};
    }
  }
  return {0, {}, true};
}

}  // namespace winebot::hub

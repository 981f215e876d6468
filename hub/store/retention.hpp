#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace winebot::shared {
class Database;
}

namespace winebot::hub {

struct RetentionSettings {
  // Events, state samples and minute rollups older than this are deleted.
  std::chrono::milliseconds raw_age{std::chrono::hours(24 * 7)};
  // Hour rollups older than this are deleted.
  std::chrono::milliseconds rollup_age{std::chrono::hours(24 * 90)};
  // Bytes of the database in use (pages minus free pages) above which the oldest rows go first:
  // events, then state samples, then minute rollups, then hour rollups. 0 turns it off.
  // NOTE: an index page is freed only once empty, so the budget can delete up to a batch more
  // than the minimum, more so when the budget is small next to a batch.
  std::int64_t max_bytes = 0;
  // Rows per DELETE, so that one step holds the write lock for milliseconds, not seconds.
  std::int64_t batch_rows = 2000;
};

// The outcome of one retention step.
struct RetentionStep {
  std::int64_t deleted_rows = 0;
  std::string table;  // The table it deleted from, or empty when nothing was due.
  bool over_budget = false;
};

// Deletes old rows in small batches: each call deletes at most `batch_rows` rows from one table,
// in its own transaction, and the store's writer calls it between ingest transactions until a
// step deletes nothing. Runs on the writer thread with the write connection.
RetentionStep run_retention_step(shared::Database& database, const RetentionSettings& settings,
                                 std::int64_t now_ms);

// Bytes of the database's pages in use: page_count minus freelist_count, times page_size.
std::int64_t used_database_bytes(shared::Database& database);

// Returns free pages to the file system in a database created with auto_vacuum=INCREMENTAL. It is a
// no-op on older files.
void release_free_pages(shared::Database& database);

}  // namespace winebot::hub

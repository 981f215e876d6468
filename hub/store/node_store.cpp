#include "hub/store/node_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "hub/registry/node_json.hpp"
#include "hub/store/event_sources.hpp"
#include "hub/store/rollups.hpp"
#include "shared/log/logger.hpp"
#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

using shared::Database;

// Migration N (1-based) moves the schema from version N-1 to N. Append only; never edit one
// that has shipped.
constexpr std::array<const char*, 4> kMigrations = {
    R"sql(
    CREATE TABLE nodes (
      id             TEXT PRIMARY KEY,
      legacy         INTEGER NOT NULL DEFAULT 0,
      name           TEXT NOT NULL,
      addresses      TEXT NOT NULL,   -- JSON array of endpoints, best first
      port           INTEGER NOT NULL,
      txt            TEXT NOT NULL,   -- JSON object of the newest TXT record
      first_seen_ms  INTEGER NOT NULL,
      last_seen_ms   INTEGER NOT NULL,
      state          TEXT NOT NULL,
      state_reason   TEXT NOT NULL,
      state_since_ms INTEGER NOT NULL
    );
    )sql",
    R"sql(
    CREATE TABLE events (
      id          INTEGER PRIMARY KEY,
      node_id     TEXT NOT NULL,
      stream      TEXT NOT NULL,
      position    TEXT NOT NULL,   -- the node's DEVICE.INODE.OFFSET of the record
      event_ms    INTEGER NOT NULL, -- the record's timestamp_epoch_ms, 0 when it has none
      ingested_ms INTEGER NOT NULL,
      body        TEXT NOT NULL,
      UNIQUE (node_id, stream, position)
    );
    CREATE INDEX events_by_node ON events (node_id, stream, id);
    CREATE TABLE cursors (
      node_id    TEXT NOT NULL,
      stream     TEXT NOT NULL,
      cursor     TEXT NOT NULL,
      updated_ms INTEGER NOT NULL,
      PRIMARY KEY (node_id, stream)
    ) WITHOUT ROWID;
    )sql",
    R"sql(
    CREATE TABLE state_samples (
      node_id        TEXT NOT NULL,
      at_ms          INTEGER NOT NULL,
      state          TEXT NOT NULL,   -- the hub's node state
      recorder_state TEXT NOT NULL,
      idle_seconds   REAL,
      controller     TEXT,
      latency_ms     REAL,
      auto_pauses    INTEGER,         -- the node's counters since it started
      auto_resumes   INTEGER,
      paused_by_inactivity_seconds REAL,
      PRIMARY KEY (node_id, at_ms)
    ) WITHOUT ROWID;
    CREATE INDEX state_samples_by_time ON state_samples (at_ms);
    CREATE TABLE rollups (
      resolution_ms INTEGER NOT NULL,  -- 60000 or 3600000
      metric        TEXT NOT NULL,
      node_id       TEXT NOT NULL,     -- '' for the fleet-wide rollup
      bucket_ms     INTEGER NOT NULL,  -- start of the minute or hour
      count         INTEGER NOT NULL,
      sum           REAL NOT NULL,
      min           REAL NOT NULL,
      max           REAL NOT NULL,
      sketch        BLOB NOT NULL,     -- QuantileSketch::serialize
      PRIMARY KEY (resolution_ms, metric, node_id, bucket_ms)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_by_time ON rollups (resolution_ms, bucket_ms);
    CREATE INDEX rollups_by_metric_time ON rollups (resolution_ms, metric, bucket_ms);
    )sql",
    // Events keyed by a small integer per node and stream: each row and index entry loses the
    // 36-byte node id and the stream name, which cuts the file by about a third and speeds up
    // ingest. The `events` view keeps the old columns for readers.
    R"sql(
    CREATE TABLE event_sources (
      key     INTEGER PRIMARY KEY,
      node_id TEXT NOT NULL,
      stream  TEXT NOT NULL,
      UNIQUE (node_id, stream)
    );
    CREATE TABLE event_rows (
      -- AUTOINCREMENT: ids never return after retention deleted the newest rows, so a client
      -- paging with `after` never skips new events.
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      source      INTEGER NOT NULL,  -- event_sources.key
      position    TEXT NOT NULL,     -- the node's DEVICE.INODE.OFFSET of the record
      event_ms    INTEGER NOT NULL,  -- the record's timestamp_epoch_ms, 0 when it has none
      ingested_ms INTEGER NOT NULL,
      body        TEXT NOT NULL,
      UNIQUE (source, position)
    );
    CREATE INDEX event_rows_by_source ON event_rows (source, id);
    INSERT INTO event_sources (node_id, stream) SELECT DISTINCT node_id, stream FROM events;
    INSERT INTO event_rows (id, source, position, event_ms, ingested_ms, body)
      SELECT e.id, s.key, e.position, e.event_ms, e.ingested_ms, e.body
      FROM events e JOIN event_sources s ON s.node_id = e.node_id AND s.stream = e.stream;
    DROP TABLE events;
    CREATE VIEW events AS
      SELECT r.id, s.node_id, s.stream, r.position, r.event_ms, r.ingested_ms, r.body
      FROM event_rows r JOIN event_sources s ON s.key = r.source;
    )sql",
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void open_for_writing(Database& database) {
  database.execute("PRAGMA journal_mode=WAL");
  database.execute("PRAGMA synchronous=NORMAL");
  database.execute("PRAGMA foreign_keys=ON");
  database.execute("PRAGMA cache_size=-32768");
}

void migrate(Database& database, const std::filesystem::path& path) {
  const auto version = database.user_version();
  const auto target = static_cast<std::int64_t>(kMigrations.size());
  if (version > target) {
    throw shared::SqliteError("database " + path.string() + " has schema version " +
                              std::to_string(version) + ", newer than this hub's " +
                              std::to_string(target) + "; upgrade winebot-hub");
  }
  if (version == target) {
    return;
  }
  shared::in_transaction(database, [&] {
    for (auto index = version; index < target; ++index) {
      database.execute(kMigrations[static_cast<std::size_t>(index)]);
    }
    database.execute("PRAGMA user_version=" + std::to_string(target));
  });
  shared::log_info("store.migrated", {shared::field("db", path.string()),
                                      shared::field("from", static_cast<long long>(version)),
                                      shared::field("to", static_cast<long long>(target))});
}

// Adds the records of `batch` at `inserted` (indexes of the rows the transaction added) to the
// entry for its node and stream in `commits`, keeping the newest IngestCommit::kMaxNewest. Runs
// once per batch, so the cost per row stays one index in `inserted`.
void record_commit(std::vector<IngestCommit>& commits, const IngestBatch& batch,
                   const std::vector<std::size_t>& inserted) {
  if (inserted.empty()) {
    return;
  }
  auto entry = std::find_if(commits.begin(), commits.end(), [&](const IngestCommit& commit) {
    return commit.node_id == batch.node_id && commit.stream == batch.stream;
  });
  if (entry == commits.end()) {
    entry = commits.insert(commits.end(), IngestCommit{});
    entry->node_id = batch.node_id;
    entry->stream = batch.stream;
  }
  entry->count += inserted.size();
  const auto newest = std::min(inserted.size(), IngestCommit::kMaxNewest);
  for (auto index = inserted.end() - static_cast<std::ptrdiff_t>(newest); index != inserted.end();
       ++index) {
    entry->newest_positions.push_back(batch.positions[*index]);
    entry->newest_bodies.push_back(batch.bodies[*index]);
  }
  const auto excess = entry->newest_positions.size() -
                      std::min(entry->newest_positions.size(), IngestCommit::kMaxNewest);
  entry->newest_positions.erase(
      entry->newest_positions.begin(),
      entry->newest_positions.begin() + static_cast<std::ptrdiff_t>(excess));
  entry->newest_bodies.erase(entry->newest_bodies.begin(),
                             entry->newest_bodies.begin() + static_cast<std::ptrdiff_t>(excess));
}

// Adds record `index` of `batch` to the rollups when it is a telemetry value.
void add_rollup_value(RollupBatch& rollups, const IngestBatch& batch, std::size_t index,
                      std::int64_t ingested_ms) {
  if (batch.stream != "telemetry") {
    return;
  }
  if (const auto value = parse_metric_value(batch.bodies[index])) {
    const auto at_ms = batch.event_ms[index] > 0 ? batch.event_ms[index] : ingested_ms;
    rollups.add(batch.node_id, at_ms, *value);
  }
}

// Minimum time between two rounds of the writer's transactions.
constexpr std::chrono::milliseconds kCommitInterval{250};

// Time between two retention passes once a pass found nothing more to delete.
constexpr std::chrono::seconds kRetentionInterval{10};

}  // namespace

std::int64_t NodeStore::current_schema_version() {
  return static_cast<std::int64_t>(kMigrations.size());
}

NodeStore::NodeStore(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.has_parent_path()) {
    std::filesystem::create_directories(path_.parent_path());
  }
  Database database(path_);
  if (database.user_version() == 0) {
    // Only a file without tables can still switch. Older files keep auto_vacuum off, so their
    // free pages are reused but never returned to the file system.
    database.execute("PRAGMA auto_vacuum=INCREMENTAL");
  }
  open_for_writing(database);
  migrate(database, path_);
}

NodeStore::~NodeStore() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
}

std::vector<NodeRecord> NodeStore::load_nodes() {
  Database database(path_, true);
  auto statement = database.prepare(
      "SELECT id, legacy, name, addresses, txt, first_seen_ms, last_seen_ms, state, "
      "state_reason, state_since_ms FROM nodes");
  std::vector<NodeRecord> nodes;
  while (statement.step()) {
    NodeRecord node;
    node.id = statement.column_text(0);
    node.legacy = statement.column_int(1) != 0;
    node.name = statement.column_text(2);
    node.stored_endpoints =
        endpoints_from_json(nlohmann::json::parse(statement.column_text(3), nullptr, false));
    for (auto& endpoint : node.stored_endpoints) {
      endpoint.source = "stored";
      endpoint.key = "stored:" + endpoint.address + ":" + std::to_string(endpoint.port);
    }
    node.txt = txt_from_json(nlohmann::json::parse(statement.column_text(4), nullptr, false));
    node.first_seen_ms = statement.column_int(5);
    node.last_seen_ms = statement.column_int(6);
    node.state = parse_node_state(statement.column_text(7)).value_or(NodeState::kOffline);
    node.state_reason = statement.column_text(8);
    node.state_since_ms = statement.column_int(9);
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::map<std::string, std::map<std::string, std::string>> NodeStore::load_cursors() {
  Database database(path_, true);
  auto statement = database.prepare("SELECT node_id, stream, cursor FROM cursors");
  std::map<std::string, std::map<std::string, std::string>> cursors;
  const std::lock_guard lock(mutex_);
  while (statement.step()) {
    cursors[statement.column_text(0)][statement.column_text(1)] = statement.column_text(2);
    committed_cursors_[{statement.column_text(0), statement.column_text(1)}] =
        statement.column_text(2);
  }
  return cursors;
}

bool NodeStore::ingest(IngestBatch batch) {
  {
    const std::lock_guard lock(mutex_);
    if (pending_batches_.size() >= kMaxPendingBatches ||
        rewinds_.count({batch.node_id, batch.stream}) != 0) {
      return false;
    }
    pending_batches_.push_back(std::move(batch));
    ++queued_generation_;
  }
  wake_.notify_one();
  return true;
}

std::optional<std::string> NodeStore::take_rewind(const std::string& node_id,
                                                  const std::string& stream) {
  const std::lock_guard lock(mutex_);
  const auto key = std::make_pair(node_id, stream);
  if (rewinds_.erase(key) == 0) {
    return std::nullopt;
  }
  const auto committed = committed_cursors_.find(key);
  return committed == committed_cursors_.end() ? std::string() : committed->second;
}

void NodeStore::add_sample(StateSample sample) {
  {
    const std::lock_guard lock(mutex_);
    if (pending_samples_.size() >= kMaxPendingSamples) {
      ++dropped_samples_;
      return;
    }
    pending_samples_.push_back(std::move(sample));
    ++queued_generation_;
  }
  wake_.notify_one();
}

std::uint64_t NodeStore::stored_samples() const {
  const std::lock_guard lock(mutex_);
  return stored_samples_;
}

std::uint64_t NodeStore::dropped_samples() const {
  const std::lock_guard lock(mutex_);
  return dropped_samples_;
}

std::uint64_t NodeStore::retention_deleted_rows() const {
  const std::lock_guard lock(mutex_);
  return retention_deleted_rows_;
}

std::uint64_t NodeStore::ingested_events() const {
  const std::lock_guard lock(mutex_);
  return ingested_events_;
}

void NodeStore::start() {
  writer_ = std::thread([this] { run_writer(); });
}

void NodeStore::save(const NodeRecord& node) {
  NodeRow row;
  const auto endpoints = node.probe_order();
  row.id = node.id;
  row.legacy = node.legacy;
  row.name = node.name;
  row.addresses =
      endpoints_to_json(endpoints).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  row.port = endpoints.empty() ? 0 : endpoints.front().port;
  row.txt = txt_to_json(node.txt).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  row.first_seen_ms = node.first_seen_ms;
  row.last_seen_ms = node.last_seen_ms;
  row.state = to_string(node.state);
  row.state_reason = node.state_reason;
  row.state_since_ms = node.state_since_ms;
  {
    const std::lock_guard lock(mutex_);
    auto& queued = queued_rows_[row.id];
    if (queued.same_apart_from_last_seen(row) &&
        row.last_seen_ms - queued.last_seen_ms < kLastSeenWriteIntervalMs) {
      return;
    }
    queued = row;
    pending_[row.id] = std::move(row);
    ++queued_generation_;
  }
  wake_.notify_one();
}

bool NodeStore::NodeRow::same_apart_from_last_seen(const NodeRow& other) const {
  return id == other.id && legacy == other.legacy && name == other.name &&
         addresses == other.addresses && port == other.port && txt == other.txt &&
         first_seen_ms == other.first_seen_ms && state == other.state &&
         state_reason == other.state_reason && state_since_ms == other.state_since_ms;
}

void NodeStore::flush() {
  std::unique_lock lock(mutex_);
  const auto target = queued_generation_;
  ++flush_requests_;
  wake_.notify_all();
  drained_.wait(lock, [&] { return committed_generation_ >= target || !writer_.joinable(); });
  --flush_requests_;
}

std::uint64_t NodeStore::committed_batches() const {
  const std::lock_guard lock(mutex_);
  return committed_batches_;
}

bool NodeStore::run_retention(Database& database) {
  const auto now = std::chrono::steady_clock::now();
  if (!retention_ || now < next_retention_) {
    return false;
  }
  RetentionStep step;
  try {
    step = run_retention_step(database, *retention_, now_ms());
    if (step.deleted_rows > 0) {
      release_free_pages(database);
    }
  } catch (const shared::SqliteError& error) {
    shared::log_error("store.retention_failed", {shared::field("error", error.what())});
    next_retention_ = now + kRetentionInterval;
    return false;
  }
  if (step.over_budget && step.deleted_rows == 0) {
    shared::log_warn(
        "store.over_budget",
        {shared::field("used_bytes", static_cast<long long>(used_database_bytes(database))),
         shared::field("max_bytes", static_cast<long long>(retention_->max_bytes))});
  }
  if (step.deleted_rows > 0) {
    shared::log_debug("store.retention",
                      {shared::field("table", step.table),
                       shared::field("rows", static_cast<long long>(step.deleted_rows)),
                       shared::field("over_budget", step.over_budget ? "yes" : "no")});
    const std::lock_guard lock(mutex_);
    retention_deleted_rows_ += static_cast<std::uint64_t>(step.deleted_rows);
  }
  // After a step that deleted rows, the next one follows at once, but queued writes go first.
  const bool more = step.deleted_rows > 0;
  next_retention_ = more ? now : now + kRetentionInterval;
  return more;
}

void NodeStore::run_writer() {
  Database database(path_);
  open_for_writing(database);
  auto upsert = database.prepare(
      "INSERT INTO nodes (id, legacy, name, addresses, port, txt, first_seen_ms, last_seen_ms, "
      "state, state_reason, state_since_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT(id) DO UPDATE SET legacy = ?2, name = ?3, addresses = ?4, port = ?5, txt = ?6, "
      "first_seen_ms = ?7, last_seen_ms = ?8, state = ?9, state_reason = ?10, "
      "state_since_ms = ?11");

  auto insert_event = database.prepare(
      "INSERT OR IGNORE INTO event_rows (source, position, event_ms, ingested_ms, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  EventSourceKeys source_keys(database);
  auto upsert_cursor = database.prepare(
      "INSERT INTO cursors (node_id, stream, cursor, updated_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(node_id, stream) DO UPDATE SET cursor = ?3, updated_ms = ?4");
  auto insert_sample = database.prepare(kInsertStateSampleSql);
  RollupWriter rollup_writer(database);
  RollupBatch rollups;
  next_retention_ = std::chrono::steady_clock::now();
  auto last_commit = std::chrono::steady_clock::time_point{};

  for (;;) {
    std::map<std::string, NodeRow> batch;
    std::vector<IngestBatch> ingest_batches;
    std::vector<StateSample> samples;
    std::uint64_t generation = 0;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      const auto has_work = [&] {
        return stopping_ || !pending_.empty() || !pending_batches_.empty() ||
               !pending_samples_.empty();
      };
      if (retention_) {
        wake_.wait_until(lock, next_retention_, has_work);
      } else {
        wake_.wait(lock, has_work);
      }
      // Group commit: work that arrives within kCommitInterval of the last commit waits for it,
      // so a large fleet's probes and reads share a few transactions a second instead of
      // committing one each. A flush, a stop or a filling ingest queue ends the wait.
      wake_.wait_until(lock, last_commit + kCommitInterval, [&] {
        return stopping_ || flush_requests_ > 0 ||
               pending_batches_.size() >= kMaxPendingBatches / 2;
      });
      batch.swap(pending_);
      samples.swap(pending_samples_);
      // Batches queued behind a failed one would move the cursor past the lost records.
      for (auto& ingest : pending_batches_) {
        if (rewinds_.count({ingest.node_id, ingest.stream}) == 0) {
          ingest_batches.push_back(std::move(ingest));
        }
      }
      pending_batches_.clear();
      generation = queued_generation_;
      stopping = stopping_;
    }

    std::uint64_t written_events = 0;
    bool ingest_committed = false;
    std::vector<IngestCommit> commits;
    if (!ingest_batches.empty()) {
      try {
        shared::in_transaction(database, [&] {
          const auto ingested_at = now_ms();
          std::vector<std::size_t> inserted;
          for (const auto& ingest : ingest_batches) {
            inserted.clear();
            const auto source = source_keys.key(ingest.node_id, ingest.stream);
            for (std::size_t index = 0; index < ingest.positions.size(); ++index) {
              insert_event.bind(1, source)
                  .bind(2, ingest.positions[index])
                  .bind(3, ingest.event_ms[index])
                  .bind(4, ingested_at)
                  .bind(5, ingest.bodies[index]);
              insert_event.run();
              if (sqlite3_changes(database.handle()) > 0) {
                ++written_events;
                inserted.push_back(index);
                add_rollup_value(rollups, ingest, index, ingested_at);
              }
            }
            record_commit(commits, ingest, inserted);
            upsert_cursor.bind(1, ingest.node_id)
                .bind(2, ingest.stream)
                .bind(3, ingest.next_cursor)
                .bind(4, ingested_at);
            upsert_cursor.run();
          }
          rollup_writer.write(rollups);
          rollups.clear();
        });
        ingest_committed = true;
        const std::lock_guard lock(mutex_);
        for (const auto& ingest : ingest_batches) {
          committed_cursors_[{ingest.node_id, ingest.stream}] = ingest.next_cursor;
        }
      } catch (const shared::SqliteError& error) {
        insert_event.reset();
        upsert_cursor.reset();
        source_keys.clear();  // Keys inserted by the failed transaction are gone.
        rollup_writer.reset();
        rollups.clear();
        written_events = 0;
        commits.clear();
        const std::lock_guard lock(mutex_);
        for (const auto& ingest : ingest_batches) {
          rewinds_[{ingest.node_id, ingest.stream}] = true;
        }
        // Neither records nor cursors were committed, so the next read repeats them.
        shared::log_error("store.ingest_failed",
                          {shared::field("batches", static_cast<long long>(ingest_batches.size())),
                           shared::field("error", error.what())});
      }
    }

    if (commit_listener_ && !commits.empty()) {
      commit_listener_(std::move(commits));
    }

    if (!batch.empty() || !samples.empty()) {
      try {
        shared::in_transaction(database, [&] {
          for (const auto& sample : samples) {
            write_state_sample(insert_sample, sample);
          }
          for (const auto& [id, row] : batch) {
            upsert.bind(1, row.id)
                .bind(2, static_cast<std::int64_t>(row.legacy))
                .bind(3, row.name)
                .bind(4, row.addresses)
                .bind(5, row.port)
                .bind(6, row.txt)
                .bind(7, row.first_seen_ms)
                .bind(8, row.last_seen_ms)
                .bind(9, row.state)
                .bind(10, row.state_reason)
                .bind(11, row.state_since_ms);
            upsert.run();
          }
        });
      } catch (const shared::SqliteError& error) {
        upsert.reset();
        insert_sample.reset();
        samples.clear();
        shared::log_error("store.write_failed",
                          {shared::field("rows", static_cast<long long>(batch.size())),
                           shared::field("error", error.what())});
      }
    }

    run_retention(database);
    last_commit = std::chrono::steady_clock::now();

    {
      const std::lock_guard lock(mutex_);
      committed_generation_ = generation;
      committed_batches_ += ingest_committed ? 1 : 0;
      ingested_events_ += written_events;
      stored_samples_ += samples.size();
    }
    drained_.notify_all();
    if (stopping) {
      return;
    }
  }
}

}  // namespace winebot::hub

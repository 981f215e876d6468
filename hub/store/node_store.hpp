#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub/registry/node_registry.hpp"
#include "hub/store/retention.hpp"
#include "hub/store/state_samples.hpp"

namespace winebot::hub {

// Records read from one node's event stream after a cursor, with the cursor to continue from.
// The store writes the records and the cursor in one transaction, so a hub killed at any moment
// either has both or neither, and a repeated batch is a no-op (records are unique per node,
// stream and position).
struct IngestBatch {
  std::string node_id;
  std::string stream;  // "lifecycle", "input" or "telemetry".
  std::vector<std::string> positions;
  std::vector<std::string> bodies;     // JSON text, one per position.
  std::vector<std::int64_t> event_ms;  // timestamp_epoch_ms of each record, 0 when absent.
  std::string next_cursor;
};

// Records that one committed ingest transaction added for one node and stream. Records already
// stored (a batch read again after a rewind) are not counted.
struct IngestCommit {
  static constexpr std::size_t kMaxNewest = 3;

  std::string node_id;
  std::string stream;
  std::size_t count = 0;
  std::vector<std::string> newest_positions;  // At most kMaxNewest, oldest first.
  std::vector<std::string> newest_bodies;     // JSON text, one per newest position.
};

// The hub's SQLite file: WAL mode, schema version in `PRAGMA user_version`, migrations applied in
// one transaction at start-up.
//
// Threading: `load_nodes` runs on the caller's thread before `start`. After `start`, one writer
// thread owns the write connection. `save` only queues a copy of the row under `mutex_`, so the
// io_context thread never waits on the disk. Saves of the same node coalesce, which bounds the
// queue by the number of nodes.
class NodeStore {
 public:
  // Opens or creates the file and migrates it. Throws shared::SqliteError naming the file.
  explicit NodeStore(std::filesystem::path path);
  // Commits what is queued, then stops the writer.
  ~NodeStore();
  NodeStore(const NodeStore&) = delete;
  NodeStore& operator=(const NodeStore&) = delete;

  // The schema version this build writes.
  static std::int64_t current_schema_version();

  std::vector<NodeRecord> load_nodes();
  // Committed cursors, by node id and then stream.
  std::map<std::string, std::map<std::string, std::string>> load_cursors();
  // Runs on the writer thread after each ingest transaction that added records, one entry per
  // node and stream. It must not block, nor call back into the store: post the work elsewhere.
  using CommitListener = std::function<void(std::vector<IngestCommit> commits)>;
  // Must be called before `start`.
  void set_commit_listener(CommitListener listener) { commit_listener_ = std::move(listener); }
  // Must be called before `start`. Without it, nothing is deleted.
  void set_retention(RetentionSettings settings) { retention_ = settings; }

  void start();
  void save(const NodeRecord& node);
  // Queues a batch. Batches are written in order and never coalesced. Returns false, and drops
  // the batch, when kMaxPendingBatches are already queued or the stream awaits a rewind. The
  // poller then reads again from its cursor later, so nothing is lost.
  bool ingest(IngestBatch batch);
  std::uint64_t ingested_events() const;
  // After a failed ingest transaction, the last committed cursor of (node, stream), once; the
  // poller then reads again from there. nullopt when no rewind is due.
  std::optional<std::string> take_rewind(const std::string& node_id, const std::string& stream);

  static constexpr std::size_t kMaxPendingBatches = 256;
  // Queues a state sample for the next write. Past kMaxPendingSamples queued samples, new ones
  // are dropped and counted: the series gets a gap rather than the hub's memory growing.
  void add_sample(StateSample sample);
  static constexpr std::size_t kMaxPendingSamples = 100'000;
  std::uint64_t stored_samples() const;
  std::uint64_t dropped_samples() const;
  std::uint64_t retention_deleted_rows() const;
  // Blocks until every save queued before the call is committed. Without it, the writer commits
  // at most every 250 ms, gathering what arrives in between into one round of transactions.
  void flush();

  // Ingest transactions committed; a transaction contains every batch queued since the last one.
  std::uint64_t committed_batches() const;

 private:
  // A probe refreshes last_seen_ms every poll interval. Rows that change nothing else are written
  // at most this often, so a restarted hub may show a last-seen time this much too old.
  static constexpr std::int64_t kLastSeenWriteIntervalMs = 30'000;

  struct NodeRow {
    std::string id;
    bool legacy = false;
    std::string name;
    std::string addresses;  // JSON array.
    std::int64_t port = 0;
    std::string txt;  // JSON object.
    std::int64_t first_seen_ms = 0;
    std::int64_t last_seen_ms = 0;
    std::string state;
    std::string state_reason;
    std::int64_t state_since_ms = 0;

    // Whether the rows differ in more than last_seen_ms.
    bool same_apart_from_last_seen(const NodeRow& other) const;
  };

  void run_writer();
  // Runs a retention step when one is due and returns whether another should follow at once.
  bool run_retention(shared::Database& database);

  std::filesystem::path path_;
  CommitListener commit_listener_;  // Set before the writer starts, then only read by it.
  std::optional<RetentionSettings> retention_;              // Likewise.
  std::chrono::steady_clock::time_point next_retention_{};  // Only the writer touches it.
  std::thread writer_;
  mutable std::mutex mutex_;  // Guards every member below.
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::map<std::string, NodeRow> pending_;
  // The newest row queued per node, to skip saves that change nothing but last_seen_ms.
  std::map<std::string, NodeRow> queued_rows_;
  std::vector<IngestBatch> pending_batches_;
  std::vector<StateSample> pending_samples_;
  std::uint64_t stored_samples_ = 0;
  std::uint64_t dropped_samples_ = 0;
  std::uint64_t retention_deleted_rows_ = 0;
  std::map<std::pair<std::string, std::string>, std::string> committed_cursors_;
  std::map<std::pair<std::string, std::string>, bool> rewinds_;
  std::uint64_t ingested_events_ = 0;
  std::uint64_t queued_generation_ = 0;
  std::uint64_t committed_generation_ = 0;
  std::uint64_t committed_batches_ = 0;
  bool stopping_ = false;
  int flush_requests_ = 0;  // Callers waiting in `flush`; the writer skips its group-commit wait.
};

}  // namespace winebot::hub

#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hub/registry/node_registry.hpp"

namespace winebot::hub {

// The hub's SQLite file: WAL mode, schema version in `PRAGMA user_version`, migrations applied in
// one transaction at start-up.
//
// Threading: `load_nodes` runs on the caller's thread before `start`. After `start`, one writer
// thread owns the write connection; `save` only queues a copy of the row under `mutex_`, so the
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
  void start();
  void save(const NodeRecord& node);
  // Blocks until every save queued before the call is committed.
  void flush();

  std::uint64_t committed_batches() const;

 private:
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
  };

  void run_writer();
  void write_batch(const std::map<std::string, NodeRow>& batch);

  std::filesystem::path path_;
  std::thread writer_;
  mutable std::mutex mutex_;  // Guards every member below.
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::map<std::string, NodeRow> pending_;
  std::uint64_t queued_generation_ = 0;
  std::uint64_t committed_generation_ = 0;
  std::uint64_t committed_batches_ = 0;
  bool stopping_ = false;
};

}  // namespace winebot::hub

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "shared/sqlite/database.hpp"

namespace winebot::hub {

// Integer keys of the (node id, stream) pairs in `event_sources`, which `event_rows` stores in
// place of the two strings. Cached on the writer thread, with one instance per write connection.
class EventSourceKeys {
 public:
  explicit EventSourceKeys(shared::Database& database);

  // Returns the pair's key, inserting the pair when it is new. Runs inside the caller's
  // transaction, so a rollback also undoes the insert: call `clear` after one.
  std::int64_t key(const std::string& node_id, const std::string& stream);
  // Forgets every cached key and resets the statements, after a failed transaction.
  void clear();

 private:
  shared::Statement insert_;
  shared::Statement select_;
  std::map<std::pair<std::string, std::string>, std::int64_t> keys_;
};

// Reads the keys of one node's event streams, as (stream, key) pairs ordered by stream.
std::vector<std::pair<std::string, std::int64_t>> read_event_sources(shared::Database& database,
                                                                     const std::string& node_id);

}  // namespace winebot::hub

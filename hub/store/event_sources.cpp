#include "hub/store/event_sources.hpp"

namespace winebot::hub {

EventSourceKeys::EventSourceKeys(shared::Database& database)
    : insert_(database.prepare(
          "INSERT OR IGNORE INTO event_sources (node_id, stream) VALUES (?1, ?2)")),
      select_(
          database.prepare("SELECT key FROM event_sources WHERE node_id = ?1 AND stream = ?2")) {}

std::int64_t EventSourceKeys::key(const std::string& node_id, const std::string& stream) {
  const auto pair = std::make_pair(node_id, stream);
  if (const auto found = keys_.find(pair); found != keys_.end()) {
    return found->second;
  }
  insert_.bind(1, node_id).bind(2, stream);
  insert_.run();
  select_.bind(1, node_id).bind(2, stream);
  if (!select_.step()) {
    select_.reset();
    throw shared::SqliteError("event source missing after insert: " + node_id + " " + stream);
  }
  const auto key = select_.column_int(0);
  select_.reset();
  keys_.emplace(pair, key);
  return key;
}

void EventSourceKeys::clear() {
  keys_.clear();
  insert_.reset();
  select_.reset();
}

std::vector<std::pair<std::string, std::int64_t>> read_event_sources(shared::Database& database,
                                                                     const std::string& node_id) {
  auto statement =
      database.prepare("SELECT stream, key FROM event_sources WHERE node_id = ?1 ORDER BY stream");
  statement.bind(1, node_id);
  std::vector<std::pair<std::string, std::int64_t>> sources;
  while (statement.step()) {
    sources.emplace_back(statement.column_text(0), statement.column_int(1));
  }
  return sources;
}

}  // namespace winebot::hub

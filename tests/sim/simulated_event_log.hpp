#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace winebot::sim {

// One page of records after a cursor, in the shape of the node's cursor reads
// (GET /lifecycle/events?after=CURSOR): records oldest first, one position per record, and the
// cursor that follows the last one.
struct EventPage {
  nlohmann::json events = nlohmann::json::array();
  nlohmann::json positions = nlohmann::json::array();
  std::string next;
  // "file_replaced" when the cursor belongs to another run of the simulator, so the read started
  // at the oldest record instead; empty otherwise.
  std::string restart;
  std::string error;  // Set, and everything else empty, when the cursor is invalid.
};

// An in-memory, append-only event stream that replaces one of a node's JSONL logs.
//
// Cursors are opaque to the hub, so this log uses its own form, "sim1.RUN.SEQUENCE": RUN is the
// simulator run's id and SEQUENCE the number of the next record to return. A position is
// "RUN.SEQUENCE" of its record, unique per stream across runs, as the hub's store requires.
//
// The log keeps at most `capacity` records and drops the oldest beyond that. Limitation: a reader
// whose cursor points at dropped records silently continues at the oldest record kept, while a
// real node's file keeps every record.
class SimulatedEventLog {
 public:
  SimulatedEventLog(std::string run_id, std::size_t capacity);

  void append(nlohmann::json record);

  // Returns up to `limit` records after `cursor`; an empty cursor starts at the oldest record.
  EventPage read_after(const std::string& cursor, std::size_t limit) const;
  // Returns the newest `limit` records, oldest first.
  nlohmann::json newest(std::size_t limit) const;

  // Records appended since start, dropped ones included.
  std::uint64_t appended() const { return first_sequence_ + records_.size(); }
  std::size_t size() const { return records_.size(); }

 private:
  std::string cursor_for(std::uint64_t sequence) const;
  // The sequence number in `cursor` when it is this run's, nullopt when another run's. Sets
  // `error` when the text is not a cursor at all.
  std::optional<std::uint64_t> parse_cursor(const std::string& cursor, std::string& error) const;

  std::string run_id_;
  std::size_t capacity_;
  std::deque<nlohmann::json> records_;
  std::uint64_t first_sequence_ = 0;  // Sequence number of records_.front().
};

}  // namespace winebot::sim

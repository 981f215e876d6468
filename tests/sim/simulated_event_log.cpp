#include "tests/sim/simulated_event_log.hpp"

#include <algorithm>

#include "shared/config/option_parser.hpp"

namespace winebot::sim {
namespace {

constexpr const char* kCursorPrefix = "sim1.";

}  // namespace

SimulatedEventLog::SimulatedEventLog(std::string run_id, std::size_t capacity)
    : run_id_(std::move(run_id)), capacity_(std::max<std::size_t>(capacity, 1)) {}

void SimulatedEventLog::append(nlohmann::json record) {
  records_.push_back(std::move(record));
  if (records_.size() > capacity_) {
    records_.pop_front();
    ++first_sequence_;
  }
}

std::string SimulatedEventLog::cursor_for(std::uint64_t sequence) const {
  return kCursorPrefix + run_id_ + "." + std::to_string(sequence);
}

std::optional<std::uint64_t> SimulatedEventLog::parse_cursor(const std::string& cursor,
                                                             std::string& error) const {
  const std::string prefix = kCursorPrefix;
  const auto last_dot = cursor.rfind('.');
  if (cursor.rfind(prefix, 0) != 0 || last_dot == std::string::npos || last_dot < prefix.size()) {
    error = "invalid cursor in 'after': expected sim1.RUN.SEQUENCE (got '" + cursor + "')";
    return std::nullopt;
  }
  const auto run = cursor.substr(prefix.size(), last_dot - prefix.size());
  const auto sequence = shared::parse_integer(cursor.substr(last_dot + 1));
  if (run.empty() || !sequence || *sequence < 0) {
    error = "invalid cursor in 'after': expected sim1.RUN.SEQUENCE (got '" + cursor + "')";
    return std::nullopt;
  }
  if (run != run_id_) {
    return std::nullopt;
  }
  if (static_cast<std::uint64_t>(*sequence) > appended()) {
    error = "invalid cursor in 'after': sequence " + std::to_string(*sequence) +
            " is past the newest record";
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*sequence);
}

EventPage SimulatedEventLog::read_after(const std::string& cursor, std::size_t limit) const {
  EventPage page;
  std::uint64_t sequence = first_sequence_;
  if (!cursor.empty()) {
    const auto parsed = parse_cursor(cursor, page.error);
    if (!page.error.empty()) {
      return page;
    }
    if (parsed) {
      sequence = std::max(*parsed, first_sequence_);
    } else {
      page.restart = "file_replaced";
    }
  }

  const auto end = std::min<std::uint64_t>(appended(), sequence + limit);
  for (auto current = sequence; current < end; ++current) {
    page.events.push_back(records_[current - first_sequence_]);
    page.positions.push_back(run_id_ + "." + std::to_string(current));
  }
  page.next = cursor_for(end);
  return page;
}

nlohmann::json SimulatedEventLog::newest(std::size_t limit) const {
  const auto count = std::min(limit, records_.size());
  nlohmann::json events = nlohmann::json::array();
  for (auto it = records_.end() - static_cast<std::ptrdiff_t>(count); it != records_.end(); ++it) {
    events.push_back(*it);
  }
  return events;
}

}  // namespace winebot::sim

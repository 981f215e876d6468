#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winebot::shared {
class Database;
class Statement;
}  // namespace winebot::shared

namespace winebot::hub {

struct NodeRecord;

// One row of the `state_samples` time series: what the hub's probe of a node showed at `at_ms`.
// The optional fields are empty when the node's /state lacks them or the probe failed.
struct StateSample {
  std::string node_id;
  std::int64_t at_ms = 0;
  std::string state;           // The hub's node state: online, degraded, offline...
  std::string recorder_state;  // As /api/nodes shows it: recording, paused, idle...
  std::optional<double> idle_seconds;
  std::optional<std::string> controller;
  std::optional<double> latency_ms;
  std::optional<std::int64_t> auto_pauses;             // The node's counter since it started.
  std::optional<std::int64_t> auto_resumes;            // The node's counter since it started.
  std::optional<double> paused_by_inactivity_seconds;  // The node's total since it started.
};

// Reads a sample of `node` as it is now, from its newest /state. A node whose newest probe failed
// keeps its hub state and recorder state, without the node's own figures.
StateSample make_state_sample(const NodeRecord& node, std::int64_t now_ms);

// Decides which registry changes become samples: one per node at most every `interval`, and one
// at once when the node's hub state or recorder state changes, so the series shows every
// transition without storing every probe. Threading: one thread, like the registry it follows.
class StateSampler {
 public:
  explicit StateSampler(std::chrono::milliseconds interval) : interval_ms_(interval.count()) {}

  // Returns the sample to store after this change of `node`, if one is due.
  std::optional<StateSample> on_change(const NodeRecord& node, std::int64_t now_ms);
  void forget(const std::string& node_id) { last_.erase(node_id); }
  std::int64_t interval_ms() const { return interval_ms_; }

 private:
  struct LastSample {
    std::int64_t at_ms = 0;
    std::string state;
    std::string recorder_state;
  };

  std::int64_t interval_ms_;
  std::map<std::string, LastSample> last_;
};

// The INSERT statement that write_state_sample binds and runs.
inline constexpr const char* kInsertStateSampleSql =
    "INSERT OR IGNORE INTO state_samples (node_id, at_ms, state, recorder_state, idle_seconds, "
    "controller, latency_ms, auto_pauses, auto_resumes, paused_by_inactivity_seconds) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
void write_state_sample(shared::Statement& insert, const StateSample& sample);

// Reads the newest `limit` samples of a node with at_ms in [since_ms, until_ms], oldest first.
std::vector<StateSample> read_state_samples(shared::Database& database, const std::string& node_id,
                                            std::int64_t since_ms, std::int64_t until_ms,
                                            std::int64_t limit);

// Calls `visit` with every node's samples with at_ms in [since_ms, until_ms], ordered by node and
// time, one row at a time.
void for_each_fleet_sample(shared::Database& database, std::int64_t since_ms, std::int64_t until_ms,
                           const std::function<void(StateSample)>& visit);

}  // namespace winebot::hub

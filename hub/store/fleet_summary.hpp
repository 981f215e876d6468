#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/store/state_samples.hpp"

namespace winebot::shared {
class Database;
}

namespace winebot::hub {

// Node-seconds and counts over a window, summed over every node's state samples.
struct FleetTimeTotals {
  // Seconds by recorder state (recording, paused, idle...), counted while the node responded.
  std::map<std::string, double> seconds_by_recorder_state;
  double paused_seconds = 0;
  double paused_inactivity_seconds = 0;  // The part of paused_seconds the idle pauser caused.
  double paused_manual_seconds = 0;      // paused_seconds minus paused_inactivity_seconds.
  std::int64_t auto_pauses = 0;
  std::int64_t auto_resumes = 0;
};

// Sums samples fed in order of node and then time, keeping only the previous sample, so a window
// of millions of samples needs no more memory than one.
//
// Each sample of a responding node (online or degraded) counts for the time until the node's next
// sample, and the last one until `until_ms`, but never for more than `max_gap_ms`, so a stretch
// without samples counts as unknown. The node's counters give the automatic pauses, resumes and
// inactivity seconds between two samples. A counter that went down means the node restarted, and
// then its new value is the increase.
class FleetSummaryAccumulator {
 public:
  FleetSummaryAccumulator(std::int64_t until_ms, std::int64_t max_gap_ms)
      : until_ms_(until_ms), max_gap_ms_(max_gap_ms) {}

  void add(StateSample sample);
  FleetTimeTotals finish();

 private:
  // Counts `sample` for the time until `end_ms`, and the counters up to `next` when given.
  void count(const StateSample& sample, std::int64_t end_ms, const StateSample* next);

  std::int64_t until_ms_;
  std::int64_t max_gap_ms_;
  std::optional<StateSample> previous_;
  FleetTimeTotals totals_;
};

// Sums every stored sample with at_ms in [since_ms, until_ms], reading them one row at a time.
FleetTimeTotals summarize_stored_samples(shared::Database& database, std::int64_t since_ms,
                                         std::int64_t until_ms, std::int64_t max_gap_ms);

}  // namespace winebot::hub

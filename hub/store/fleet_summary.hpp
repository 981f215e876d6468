#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hub/store/state_samples.hpp"

namespace winebot::hub {

// Node-seconds and counts over a window, summed over every node's state samples.
struct FleetTimeTotals {
  // Seconds by recorder state (recording, paused, idle...), counted while the node answered.
  std::map<std::string, double> seconds_by_recorder_state;
  double paused_seconds = 0;
  double paused_inactivity_seconds = 0;  // The part of paused_seconds the idle pauser caused.
  double paused_manual_seconds = 0;      // paused_seconds minus paused_inactivity_seconds.
  std::int64_t auto_pauses = 0;
  std::int64_t auto_resumes = 0;
};

// Sums samples ordered by node and then time. Each sample of an answering node (online or
// degraded) stands for the time until the node's next sample, and the last one until `until_ms`,
// but never for more than `max_gap_ms`, so a stretch without samples counts as unknown. The
// node's counters give the automatic pauses, resumes and inactivity seconds between two samples;
// a counter that went down means the node restarted, and then its new value is the increase.
FleetTimeTotals summarize_samples(const std::vector<StateSample>& samples, std::int64_t until_ms,
                                  std::int64_t max_gap_ms);

}  // namespace winebot::hub

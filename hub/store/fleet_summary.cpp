#include "hub/store/fleet_summary.hpp"

#include <algorithm>

namespace winebot::hub {
namespace {

bool answering(const StateSample& sample) {
  return sample.state == "online" || sample.state == "degraded";
}

// The increase of a counter from `before` to `after`; after a restart the counter starts again
// from zero, so its new value is the increase.
template <typename Value>
Value counter_increase(const std::optional<Value>& before, const std::optional<Value>& after) {
  if (!before || !after) {
    return Value{};
  }
  return *after >= *before ? *after - *before : *after;
}

}  // namespace

FleetTimeTotals summarize_samples(const std::vector<StateSample>& samples, std::int64_t until_ms,
                                  std::int64_t max_gap_ms) {
  FleetTimeTotals totals;
  for (std::size_t index = 0; index < samples.size(); ++index) {
    const auto& sample = samples[index];
    const bool has_next =
        index + 1 < samples.size() && samples[index + 1].node_id == sample.node_id;
    const auto end_ms = has_next ? samples[index + 1].at_ms : until_ms;
    const auto span_ms = std::clamp<std::int64_t>(end_ms - sample.at_ms, 0, max_gap_ms);
    const double span_seconds = static_cast<double>(span_ms) / 1000.0;
    if (answering(sample)) {
      totals.seconds_by_recorder_state[sample.recorder_state] += span_seconds;
      if (sample.recorder_state == "paused") {
        totals.paused_seconds += span_seconds;
      }
    }
    if (!has_next) {
      continue;
    }
    const auto& next = samples[index + 1];
    totals.auto_pauses += counter_increase(sample.auto_pauses, next.auto_pauses);
    totals.auto_resumes += counter_increase(sample.auto_resumes, next.auto_resumes);
    // The counter cannot grow faster than the clock; clamping guards against a node restart
    // between the two samples that left a larger value behind.
    const auto inactivity =
        counter_increase(sample.paused_by_inactivity_seconds, next.paused_by_inactivity_seconds);
    totals.paused_inactivity_seconds +=
        std::min(inactivity, static_cast<double>(next.at_ms - sample.at_ms) / 1000.0);
  }
  totals.paused_inactivity_seconds =
      std::min(totals.paused_inactivity_seconds, totals.paused_seconds);
  totals.paused_manual_seconds = totals.paused_seconds - totals.paused_inactivity_seconds;
  return totals;
}

}  // namespace winebot::hub

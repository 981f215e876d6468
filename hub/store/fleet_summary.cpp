#include "hub/store/fleet_summary.hpp"

#include <algorithm>

namespace winebot::hub {
namespace {

bool responding(const StateSample& sample) {
  return sample.state == "online" || sample.state == "degraded";
}

// The increase of a counter from `before` to `after`. After a restart the counter starts again
// from zero, so its new value is the increase.
template <typename Value>
Value counter_increase(const std::optional<Value>& before, const std::optional<Value>& after) {
  if (!before || !after) {
    return Value{};
  }
  return *after >= *before ? *after - *before : *after;
}

}  // namespace

void FleetSummaryAccumulator::count(const StateSample& sample, std::int64_t end_ms,
                                    const StateSample* next) {
  const auto span_ms = std::clamp<std::int64_t>(end_ms - sample.at_ms, 0, max_gap_ms_);
  const double span_seconds = static_cast<double>(span_ms) / 1000.0;
  if (responding(sample)) {
    totals_.seconds_by_recorder_state[sample.recorder_state] += span_seconds;
    if (sample.recorder_state == "paused") {
      totals_.paused_seconds += span_seconds;
    }
  }
  if (next == nullptr) {
    return;
  }
  totals_.auto_pauses += counter_increase(sample.auto_pauses, next->auto_pauses);
  totals_.auto_resumes += counter_increase(sample.auto_resumes, next->auto_resumes);
  // The counter cannot grow faster than the clock. Clamping guards against a node restart
  // between the two samples that left a larger value behind.
  const auto inactivity =
      counter_increase(sample.paused_by_inactivity_seconds, next->paused_by_inactivity_seconds);
  totals_.paused_inactivity_seconds +=
      std::min(inactivity, static_cast<double>(next->at_ms - sample.at_ms) / 1000.0);
}

void FleetSummaryAccumulator::add(StateSample sample) {
  if (previous_) {
    if (previous_->node_id == sample.node_id) {
      count(*previous_, sample.at_ms, &sample);
    } else {
      count(*previous_, until_ms_, nullptr);
    }
  }
  previous_ = std::move(sample);
}

FleetTimeTotals FleetSummaryAccumulator::finish() {
  if (previous_) {
    count(*previous_, until_ms_, nullptr);
    previous_.reset();
  }
  totals_.paused_inactivity_seconds =
      std::min(totals_.paused_inactivity_seconds, totals_.paused_seconds);
  totals_.paused_manual_seconds = totals_.paused_seconds - totals_.paused_inactivity_seconds;
  return totals_;
}

FleetTimeTotals summarize_stored_samples(shared::Database& database, std::int64_t since_ms,
                                         std::int64_t until_ms, std::int64_t max_gap_ms) {
  FleetSummaryAccumulator accumulator(until_ms, max_gap_ms);
  for_each_fleet_sample(database, since_ms, until_ms,
                        [&accumulator](StateSample sample) { accumulator.add(std::move(sample)); });
  return accumulator.finish();
}

}  // namespace winebot::hub

#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "node/telemetry/telemetry_settings.hpp"
#include "shared/jsonl/jsonl_appender.hpp"

namespace winebot::node {

// One timed operation, as WineBot's emit_operation_timing takes it.
struct OperationTiming {
  std::string feature;
  std::string capability;
  std::string feature_set;
  std::string operation;
  double duration_ms = 0;
  std::string result = "ok";
  std::string source = "api";
  std::string metric;  // Empty means "<feature>.<capability>.<operation>.latency".
  nlohmann::json tags = nlohmann::json::object();
};

enum class EmitOutcome {
  kWritten,
  kNoSession,    // No session folder: nothing to write to, no budget spent.
  kDisabled,     // Telemetry switched off.
  kFiltered,     // Feature, capability or feature set not on its allowlist.
  kSampledOut,   // The random draw was above the sample rate.
  kRateLimited,  // The per-minute cap was reached.
  kFileFull,     // perf_metrics.jsonl reached WINEBOT_MAX_LOG_SIZE_MB.
  kFailed,       // The append failed; logged.
};

const char* to_string(EmitOutcome outcome);

// Writes WineBot performance-metric records to the session's `logs/perf_metrics.jsonl`, after
// the allowlists, then sampling, then the per-minute limiter, in that order, so that filtered or
// sampled-out records spend no rate budget. The limiter counts records accepted in the last 60 s
// across all sessions, as WineBot's does.
//
// Threading: `emit` may be called from any thread; a mutex serializes it. The clock and the
// random draw (uniform in [0, 1)) are injected so tests control them.
class TelemetryEmitter {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  using RandomDraw = std::function<double()>;

  TelemetryEmitter(TelemetrySettings settings, Clock clock, RandomDraw draw);

  EmitOutcome emit(const std::optional<std::filesystem::path>& session_dir,
                   const OperationTiming& timing);

  // Appends WineBot's older metric record (schema_version, timestamps, event, metric, value_ms,
  // source, session_id and `extra` when not empty). Like WineBot's legacy writer, it bypasses
  // every filter and the limiter, but not the file size cap.
  EmitOutcome append_legacy(const std::filesystem::path& session_dir, const std::string& metric,
                            double value_ms, const std::string& source,
                            const nlohmann::json& extra = nlohmann::json::object());

  // The record `emit` would write, without filters; public for tests.
  nlohmann::json make_record(const std::filesystem::path& session_dir,
                             const OperationTiming& timing) const;

  // Records dropped or written, by outcome, since start.
  std::map<EmitOutcome, std::uint64_t> counts() const;

 private:
  bool allowed(const OperationTiming& timing) const;
  bool take_rate_budget(std::chrono::system_clock::time_point now);
  shared::JsonlAppender& appender_for(const std::filesystem::path& session_dir);

  TelemetrySettings settings_;
  Clock clock_;
  RandomDraw draw_;
  mutable std::mutex mutex_;  // Guards every member below.
  std::deque<std::chrono::system_clock::time_point> accepted_;
  std::map<std::filesystem::path, std::unique_ptr<shared::JsonlAppender>> appenders_;
  std::map<EmitOutcome, std::uint64_t> counts_;
};

// Formats a time as Python's datetime.isoformat() does for UTC: microseconds when non-zero, and
// "+00:00", e.g. "2026-07-06T12:00:00.123456+00:00".
std::string format_utc_iso(std::chrono::system_clock::time_point time);

}  // namespace winebot::node

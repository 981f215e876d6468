#include "node/telemetry/telemetry_emitter.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "shared/log/logger.hpp"

namespace winebot::node {
namespace {

constexpr auto kRateWindow = std::chrono::seconds(60);
constexpr std::size_t kMaxOpenAppenders = 16;  // Sessions change rarely; older ones are closed.

double round_to_thousandths(double value) {
  return std::round(value * 1000.0) / 1000.0;
}

}  // namespace

const char* to_string(EmitOutcome outcome) {
  switch (outcome) {
    case EmitOutcome::kWritten:
      return "written";
    case EmitOutcome::kNoSession:
      return "no_session";
    case EmitOutcome::kDisabled:
      return "disabled";
    case EmitOutcome::kFiltered:
      return "filtered";
    case EmitOutcome::kSampledOut:
      return "sampled_out";
    case EmitOutcome::kRateLimited:
      return "rate_limited";
    case EmitOutcome::kFileFull:
      return "file_full";
    case EmitOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

std::string format_utc_iso(std::chrono::system_clock::time_point time) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(micros / 1'000'000);
  const auto fraction = static_cast<long>(micros % 1'000'000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  std::string formatted = text;
  if (fraction != 0) {
    std::snprintf(text, sizeof text, ".%06ld", fraction);
    formatted += text;
  }
  return formatted + "+00:00";
}

TelemetryEmitter::TelemetryEmitter(TelemetrySettings settings, Clock clock, RandomDraw draw)
    : settings_(std::move(settings)), clock_(std::move(clock)), draw_(std::move(draw)) {}

bool TelemetryEmitter::allowed(const OperationTiming& timing) const {
  const auto on_list = [](const std::set<std::string>& list, const std::string& value) {
    return list.empty() || list.count(value) != 0;
  };
  return on_list(settings_.features, timing.feature) &&
         on_list(settings_.capabilities, timing.capability) &&
         on_list(settings_.feature_sets, timing.feature_set);
}

bool TelemetryEmitter::take_rate_budget(std::chrono::system_clock::time_point now) {
  while (!accepted_.empty() && accepted_.front() <= now - kRateWindow) {
    accepted_.pop_front();
  }
  if (static_cast<std::int64_t>(accepted_.size()) >= settings_.max_events_per_minute) {
    return false;
  }
  accepted_.push_back(now);
  return true;
}

shared::JsonlAppender& TelemetryEmitter::appender_for(const std::filesystem::path& session_dir) {
  if (appenders_.count(session_dir) == 0 && appenders_.size() >= kMaxOpenAppenders) {
    appenders_.clear();
  }
  auto& appender = appenders_[session_dir];
  if (!appender) {
    shared::JsonlAppenderOptions options;
    options.max_file_bytes = settings_.max_log_bytes;
    appender = std::make_unique<shared::JsonlAppender>(session_dir / "logs" / "perf_metrics.jsonl",
                                                       options);
  }
  return *appender;
}

nlohmann::json TelemetryEmitter::make_record(const std::filesystem::path& session_dir,
                                             const OperationTiming& timing) const {
  const auto now = clock_();
  const auto epoch_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::string metric = timing.metric.empty() ? timing.feature + "." + timing.capability +
                                                         "." + timing.operation + ".latency"
                                                   : timing.metric;
  const double value = round_to_thousandths(timing.duration_ms);
  nlohmann::json record = {{"schema_version", "1.0"},
                           {"timestamp_utc", format_utc_iso(now)},
                           {"timestamp_epoch_ms", epoch_ms},
                           {"event", "performance_metric"},
                           {"metric", metric},
                           {"value_ms", value},
                           {"duration_ms", value},
                           {"feature", timing.feature},
                           {"capability", timing.capability},
                           {"feature_set", timing.feature_set},
                           {"operation", timing.operation},
                           {"result", timing.result},
                           {"source", timing.source},
                           {"session_id", session_dir.filename().string()},
                           {"telemetry_level", settings_.level},
                           {"git_sha", settings_.git_sha},
                           {"build_intent", settings_.build_intent},
                           {"runtime_mode", settings_.runtime_mode}};
  if (timing.tags.is_object() && !timing.tags.empty()) {
    record["tags"] = timing.tags;
  }
  return record;
}

EmitOutcome TelemetryEmitter::emit(const std::optional<std::filesystem::path>& session_dir,
                                   const OperationTiming& timing) {
  const std::lock_guard lock(mutex_);
  EmitOutcome outcome = EmitOutcome::kWritten;
  if (!session_dir) {
    outcome = EmitOutcome::kNoSession;
  } else if (!settings_.enabled) {
    outcome = EmitOutcome::kDisabled;
  } else if (!allowed(timing)) {
    outcome = EmitOutcome::kFiltered;
  } else if (draw_() > settings_.sample_rate) {
    outcome = EmitOutcome::kSampledOut;
  } else if (!take_rate_budget(clock_())) {
    outcome = EmitOutcome::kRateLimited;
  } else {
    const auto line = make_record(*session_dir, timing)
                          .dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    const auto result = appender_for(*session_dir).append(line);
    if (result.status == shared::AppendStatus::kRejectedFileFull) {
      outcome = EmitOutcome::kFileFull;
    } else if (!result.ok()) {
      outcome = EmitOutcome::kFailed;
      shared::log_warn("telemetry.append_failed", {shared::field("session", session_dir->string()),
                                                   shared::field("error", result.error)});
    }
  }
  ++counts_[outcome];
  return outcome;
}

EmitOutcome TelemetryEmitter::append_legacy(const std::filesystem::path& session_dir,
                                            const std::string& metric, double value_ms,
                                            const std::string& source,
                                            const nlohmann::json& extra) {
  const std::lock_guard lock(mutex_);
  const auto now = clock_();
  nlohmann::json record = {
      {"schema_version", "1.0"},
      {"timestamp_utc", format_utc_iso(now)},
      {"timestamp_epoch_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()},
      {"event", "performance_metric"},
      {"metric", metric},
      {"value_ms", round_to_thousandths(value_ms)},
      {"source", source},
      {"session_id", session_dir.filename().string()}};
  if (extra.is_object() && !extra.empty()) {
    record["extra"] = extra;
  }
  const auto result =
      appender_for(session_dir)
          .append(record.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  EmitOutcome outcome = EmitOutcome::kWritten;
  if (result.status == shared::AppendStatus::kRejectedFileFull) {
    outcome = EmitOutcome::kFileFull;
  } else if (!result.ok()) {
    outcome = EmitOutcome::kFailed;
    shared::log_warn("telemetry.append_failed", {shared::field("session", session_dir.string()),
                                                 shared::field("error", result.error)});
  }
  ++counts_[outcome];
  return outcome;
}

std::map<EmitOutcome, std::uint64_t> TelemetryEmitter::counts() const {
  const std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace winebot::node

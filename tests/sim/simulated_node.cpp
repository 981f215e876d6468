#include "tests/sim/simulated_node.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include "node/api/node_routes.hpp"
#include "shared/metrics/prometheus_text.hpp"
#include "winebot/version.hpp"

namespace winebot::sim {
namespace {

using nlohmann::json;
using std::chrono::duration;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr double kIdleThresholdSeconds = 300;
constexpr double kMaxRecordingIdle = 60;
constexpr double kFramesPerSecond = 15;
constexpr double kVideoBytesPerSecond = 40'000;

// Metrics a real node writes to perf_metrics.jsonl, with a typical value in milliseconds. The
// monitor sample is listed twice so that it is drawn twice as often as each of the others.
struct MetricShape {
  const char* metric;
  const char* feature;
  const char* capability;
  const char* operation;
  double median_ms;
};

constexpr std::array<MetricShape, 7> kMetricShapes{{
    {"inactivity.monitor_sample", "recording", "inactivity_monitor", "sample", 0.2},
    {"inactivity.monitor_sample", "recording", "inactivity_monitor", "sample", 0.2},
    {"recording.api_start.latency", "recording", "api", "start", 45},
    {"recording.api_pause.latency", "recording", "api", "pause", 8},
    {"recording.api_resume.latency", "recording", "api", "resume", 9},
    {"recording.auto_pause.latency", "recording", "pause_resume", "auto_pause", 6},
    {"recording.auto_resume.latency", "recording", "pause_resume", "auto_resume", 7},
}};

std::int64_t epoch_ms(SimulatedNode::TimePoint time) {
  return duration_cast<milliseconds>(time.time_since_epoch()).count();
}

double seconds_between(SimulatedNode::TimePoint from, SimulatedNode::TimePoint to) {
  return std::max(0.0, duration<double>(to - from).count());
}

double round_to_thousandths(double value) {
  return std::round(value * 1000) / 1000;
}

// ISO 8601 UTC with milliseconds, as the node writes timestamp_utc.
std::string iso_utc(SimulatedNode::TimePoint time) {
  const auto seconds = std::chrono::system_clock::to_time_t(time);
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &fields);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03lldZ", static_cast<long long>(epoch_ms(time) % 1000));
  return std::string(text) + millis;
}

}  // namespace

const char* to_string(SimulatedRecorderState state) {
  switch (state) {
    case SimulatedRecorderState::kRecording:
      return "recording";
    case SimulatedRecorderState::kPaused:
      return "paused";
    case SimulatedRecorderState::kIdle:
      return "idle";
  }
  return "idle";
}

SimulatedNode::SimulatedNode(Identity identity, const SimulationSettings& settings,
                             std::uint64_t seed, TimePoint start)
    : identity_(std::move(identity)),
      settings_(settings),
      random_(seed ^ (0x9e3779b97f4a7c15ULL * (identity_.index + 1))),
      started_at_(start),
      lifecycle_(identity_.run_id, settings.log_capacity),
      telemetry_(identity_.run_id, settings.log_capacity),
      input_(identity_.run_id, settings.log_capacity) {
  slowness_ = std::lognormal_distribution<double>(0.0, 0.4)(random_);
  controller_ = std::bernoulli_distribution(0.7)(random_) ? "agent" : "user";
  last_activity_ = start - milliseconds(std::uniform_int_distribution<int>(0, 60'000)(random_));

  // Nodes start spread over the three states, as a fleet looks at any moment.
  const double draw = std::uniform_real_distribution<double>(0, 1)(random_);
  if (draw < 0.85) {
    start_session(start);
    if (draw >= 0.6) {
      recorder_ = SimulatedRecorderState::kPaused;
      paused_by_inactivity_ = true;
      inactivity_pause_since_ = start;
      last_activity_ = start - std::chrono::seconds(static_cast<long long>(kIdleThresholdSeconds));
    }
  } else {
    recorder_ = SimulatedRecorderState::kIdle;
  }

  next_change_ = next_arrival(start, settings_.lifecycle_per_minute);
  next_telemetry_ = next_arrival(start, settings_.telemetry_per_minute);
  next_input_ = next_arrival(start, settings_.input_per_minute);
}

std::optional<SimulatedNode::TimePoint> SimulatedNode::next_arrival(TimePoint after,
                                                                    double per_minute) {
  if (per_minute <= 0) {
    return std::nullopt;
  }
  const double wait_seconds = std::exponential_distribution<double>(per_minute / 60.0)(random_);
  return after + duration_cast<TimePoint::duration>(duration<double>(wait_seconds));
}

void SimulatedNode::advance(TimePoint now) {
  // A recording node gets input now and then, so its idle time stays short until it pauses.
  if (recorder_ == SimulatedRecorderState::kRecording && idle_seconds(now) > kMaxRecordingIdle) {
    last_activity_ = now - milliseconds(std::uniform_int_distribution<int>(0, 5000)(random_));
  }
  while (true) {
    std::optional<TimePoint>* earliest = nullptr;
    for (auto* candidate : {&next_change_, &next_telemetry_, &next_input_}) {
      if (*candidate && **candidate <= now && (earliest == nullptr || **candidate < **earliest)) {
        earliest = candidate;
      }
    }
    if (earliest == nullptr) {
      break;
    }
    const TimePoint at = **earliest;
    if (earliest == &next_change_) {
      change_recorder(at);
      next_change_ = next_arrival(at, settings_.lifecycle_per_minute);
    } else if (earliest == &next_telemetry_) {
      append_telemetry(at);
      next_telemetry_ = next_arrival(at, settings_.telemetry_per_minute);
    } else {
      append_input(at);
      next_input_ = next_arrival(at, settings_.input_per_minute);
    }
  }
}

void SimulatedNode::start_session(TimePoint at) {
  const auto seconds = std::chrono::system_clock::to_time_t(at);
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &fields);
  char hex[8];
  std::snprintf(hex, sizeof hex, "%06x",
                std::uniform_int_distribution<unsigned>(0, 0xffffff)(random_));
  session_id_ = "session-" + std::string(date) + "-" + std::to_string(seconds) + "-" + hex;
  recorder_ = SimulatedRecorderState::kRecording;
  recording_since_ = at;
  last_activity_ = at;
  ++segments_;
}

// Moves the recorder to its next state: from recording to paused (mostly by inactivity) or idle,
// from paused back to recording, and from idle to a new session.
void SimulatedNode::change_recorder(TimePoint at) {
  const double draw = std::uniform_real_distribution<double>(0, 1)(random_);
  switch (recorder_) {
    case SimulatedRecorderState::kRecording: {
      recorded_seconds_ += seconds_between(recording_since_, at);
      if (draw < 0.7) {
        recorder_ = SimulatedRecorderState::kPaused;
        paused_by_inactivity_ = true;
        inactivity_pause_since_ = at;
        ++auto_pauses_;
        const double idle = std::max(kIdleThresholdSeconds, idle_seconds(at));
        last_activity_ = at - duration_cast<TimePoint::duration>(duration<double>(idle));
        append_lifecycle(
            at, "auto_pause",
            "Inactivity pause after " + std::to_string(static_cast<long long>(idle)) + "s",
            "monitor",
            {{"idle_seconds", round_to_thousandths(idle)},
             {"threshold_seconds", kIdleThresholdSeconds},
             {"controller", controller_},
             {"control_mode", "hybrid"},
             {"delay_ms", std::uniform_int_distribution<int>(1, 30)(random_)}});
      } else if (draw < 0.9) {
        recorder_ = SimulatedRecorderState::kPaused;
        paused_by_inactivity_ = false;
        append_lifecycle(at, "recording_paused", "Recording paused", "api", json::object());
      } else {
        recorder_ = SimulatedRecorderState::kIdle;
        append_lifecycle(at, "recording_stopped", "Recording stopped", "api", json::object());
      }
      break;
    }
    case SimulatedRecorderState::kPaused:
      recorder_ = SimulatedRecorderState::kRecording;
      recording_since_ = at;
      last_activity_ = at;
      if (paused_by_inactivity_) {
        paused_by_inactivity_total_ += duration_cast<milliseconds>(at - inactivity_pause_since_);
        paused_by_inactivity_ = false;
        ++auto_resumes_;
        if (draw < 0.3) {
          controller_ = controller_ == "agent" ? "user" : "agent";
        }
        append_lifecycle(at, "auto_resume", "Activity detected, auto-resuming", "monitor",
                         {{"controller", controller_}, {"control_mode", "hybrid"}});
      } else {
        append_lifecycle(at, "recording_resumed", "Recording resumed", "api", json::object());
      }
      break;
    case SimulatedRecorderState::kIdle:
      start_session(at);
      append_lifecycle(at, "recording_started", "Recording started", "api", json::object());
      break;
  }
}

void SimulatedNode::append_lifecycle(TimePoint at, const std::string& kind,
                                     const std::string& message, const std::string& source,
                                     json extra) {
  json record{{"schema_version", "1.0"},
              {"timestamp_utc", iso_utc(at)},
              {"timestamp_epoch_ms", epoch_ms(at)},
              {"session_id", session_id_},
              {"kind", kind},
              {"message", message},
              {"source", source}};
  if (extra.is_object() && !extra.empty()) {
    record["extra"] = std::move(extra);
  }
  lifecycle_.append(std::move(record));
}

void SimulatedNode::append_telemetry(TimePoint at) {
  const auto& shape = kMetricShapes[std::uniform_int_distribution<std::size_t>(
      0, kMetricShapes.size() - 1)(random_)];
  const double value = round_to_thousandths(shape.median_ms * slowness_ *
                                            std::lognormal_distribution<double>(0.0, 0.5)(random_));
  json record{{"schema_version", "1.0"},
              {"timestamp_utc", iso_utc(at)},
              {"timestamp_epoch_ms", epoch_ms(at)},
              {"event", "performance_metric"},
              {"metric", shape.metric},
              {"value_ms", value},
              {"duration_ms", value},
              {"feature", shape.feature},
              {"capability", shape.capability},
              {"feature_set", "core"},
              {"operation", shape.operation},
              {"result", "ok"},
              {"source", "api"},
              {"session_id", session_id_},
              {"telemetry_level", "standard"}};
  telemetry_.append(std::move(record));
}

void SimulatedNode::append_input(TimePoint at) {
  const bool agent = controller_ == "agent";
  last_activity_ = at;
  input_.append({{"schema_version", "1.0"},
                 {"timestamp_utc", iso_utc(at)},
                 {"timestamp_epoch_ms", epoch_ms(at)},
                 {"session_id", session_id_},
                 {"event", "motion"},
                 {"origin", agent ? "agent" : "user"},
                 {"source", agent ? "network" : "x11_core"},
                 {"x", std::uniform_int_distribution<int>(0, 1279)(random_)},
                 {"y", std::uniform_int_distribution<int>(0, 719)(random_)}});
}

double SimulatedNode::paused_by_inactivity_seconds(TimePoint now) const {
  auto total = paused_by_inactivity_total_;
  if (paused_by_inactivity_) {
    total += duration_cast<milliseconds>(now - inactivity_pause_since_);
  }
  return std::max(0.0, duration<double>(total).count());
}

double SimulatedNode::idle_seconds(TimePoint now) const {
  return seconds_between(last_activity_, now);
}

json SimulatedNode::state_json(TimePoint now) const {
  double recorded = recorded_seconds_;
  if (recorder_ == SimulatedRecorderState::kRecording) {
    recorded += seconds_between(recording_since_, now);
  }
  const bool has_session = !session_id_.empty();
  const char* decision = recorder_ == SimulatedRecorderState::kRecording ? "active"
                         : paused_by_inactivity_                         ? "idle"
                                                                         : "not_recording";
  json idle{
      {"enabled", true},
      {"control_mode", "hybrid"},
      {"controller", controller_},
      {"idle_seconds", round_to_thousandths(idle_seconds(now))},
      {"idle_threshold_seconds", kIdleThresholdSeconds},
      {"last_activity_origin", controller_},
      {"last_activity_source", controller_ == "agent" ? "api" : "x11"},
      {"x_idle_available", true},
      {"decision", decision},
      {"next_check_in_seconds", nullptr},
      {"auto_pauses", auto_pauses_},
      {"auto_resumes", auto_resumes_},
      {"auto_pause_failures", 0},
      {"auto_resume_failures", 0},
      {"paused_by_inactivity_seconds", round_to_thousandths(paused_by_inactivity_seconds(now))},
      {"input_log_lines", input_.appended()}};
  json recorder{
      {"state", to_string(recorder_)},
      {"session_id", has_session ? json(session_id_) : json(nullptr)},
      {"segment", recorder_ == SimulatedRecorderState::kIdle ? json(nullptr) : json(segments_)},
      {"manual_pause_lock", recorder_ == SimulatedRecorderState::kPaused && !paused_by_inactivity_},
      {"last_error", nullptr},
      {"frames", static_cast<std::uint64_t>(recorded * kFramesPerSecond)},
      {"dropped_frames", 0},
      {"bytes", static_cast<std::uint64_t>(recorded * kVideoBytesPerSecond)},
      {"recorded_seconds", round_to_thousandths(recorded)},
      {"paused_seconds", round_to_thousandths(paused_by_inactivity_seconds(now))}};
  return {{"node_id", identity_.node_id},
          {"name", identity_.name},
          {"version", kVersion},
          {"hostname", identity_.hostname},
          {"api_port", api_port_},
          {"started_at_ms", epoch_ms(started_at_)},
          {"uptime_seconds", round_to_thousandths(seconds_between(started_at_, now))},
          {"advertised", false},
          {"stopping", false},
          {"labels", json::array({"sim"})},
          {"session_id", has_session ? json(session_id_) : json(nullptr)},
          {"session_dir", nullptr},
          {"recorder", std::move(recorder)},
          {"idle", std::move(idle)}};
}

json SimulatedNode::version_json() const {
  return {{"version", kVersion},
          {"api_version", node::kApiVersion},
          {"artifact_schema_version", node::kArtifactSchemaVersion},
          {"event_schema_version", node::kEventSchemaVersion},
          {"os", "Linux"},
          {"hostname", identity_.hostname},
          {"winbot_version", kVersion}};
}

json SimulatedNode::health_json(TimePoint now) const {
  return {{"status", "ok"},
          {"node_id", identity_.node_id},
          {"version", kVersion},
          {"uptime_seconds", round_to_thousandths(seconds_between(started_at_, now))}};
}

std::string SimulatedNode::metrics_text(TimePoint now) const {
  double recorded = recorded_seconds_;
  if (recorder_ == SimulatedRecorderState::kRecording) {
    recorded += seconds_between(recording_since_, now);
  }
  shared::PrometheusText text;
  text.counter("winebot_recorder_frames_total", "Frames encoded into recordings.",
               std::floor(recorded * kFramesPerSecond));
  text.counter("winebot_recorder_dropped_frames_total",
               "Frame slots skipped because capture fell behind.", 0);
  text.counter("winebot_recorder_bytes_total", "Bytes of video written.",
               std::floor(recorded * kVideoBytesPerSecond));
  text.counter("winebot_recorder_segments_total", "Segments started.",
               static_cast<double>(segments_));
  text.counter("winebot_recorder_recorded_seconds_total", "Seconds of video recorded.",
               round_to_thousandths(recorded));
  text.family("winebot_recorder_state", "gauge", "1 for the recorder's current state.");
  for (const auto state : {SimulatedRecorderState::kRecording, SimulatedRecorderState::kPaused,
                           SimulatedRecorderState::kIdle}) {
    text.sample(state == recorder_ ? 1 : 0, {{"state", to_string(state)}});
  }
  text.counter("winebot_idle_auto_pauses_total", "Automatic pauses of the recorder.",
               static_cast<double>(auto_pauses_));
  text.counter("winebot_idle_auto_resumes_total", "Automatic resumes of the recorder.",
               static_cast<double>(auto_resumes_));
  text.counter("winebot_idle_paused_seconds_total",
               "Seconds the recorder spent paused by inactivity.",
               round_to_thousandths(paused_by_inactivity_seconds(now)));
  text.gauge("winebot_idle_seconds", "Seconds since the last activity.",
             round_to_thousandths(idle_seconds(now)));
  text.counter("winebot_telemetry_records_total", "Performance-metric records written.",
               static_cast<double>(telemetry_.appended()));
  return text.text();
}

}  // namespace winebot::sim

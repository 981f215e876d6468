#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "node/idle/activity_tracker.hpp"
#include "node/idle/idle_policy.hpp"
#include "node/idle/idle_settings.hpp"
#include "node/idle/input_log_watcher.hpp"
#include "node/idle/x_idle_sampler.hpp"
#include "node/recorder/recorder.hpp"
#include "node/telemetry/telemetry_emitter.hpp"

namespace winebot::node {

// The idle pauser's X display and the file that keeps its control mode.
struct IdlePauserSources {
  std::string display;              // X display whose idle time counts as activity; empty: none
  std::filesystem::path mode_file;  // the control mode set through the API; empty: not kept
};

// Pauses the recorder when nobody is active and resumes it when someone is, after WineBot's
// inactivity monitor but event-driven: every activity, recorder change and mode change runs the
// pure decide_idle_action, and a timer is armed for the moment its decision can next change
// (the idle threshold, the end of the minimum pause or of the cooldown). An idle node wakes only
// for the X idle-time reading (IdleSettings::x_idle_interval) and the periodic metric.
//
// A recording started or resumed through the API counts as activity. Before an automatic
// pause it takes a fresh X idle reading, so input seen by the X server in
// the last interval is not missed. Automatic pauses do not set the manual pause lock; a manual
// pause does, and blocks automatic resumes until a manual resume, start or stop.
//
// Threading: every method runs on the io_context thread, which owns all members; the X idle
// sampler's thread reports through the io_context.
class IdlePauser {
 public:
  IdlePauser(boost::asio::io_context& io, IdleSettings settings, Recorder& recorder,
             TelemetryEmitter& telemetry, IdlePauserSources sources);
  IdlePauser(const IdlePauser&) = delete;
  IdlePauser& operator=(const IdlePauser&) = delete;

  // Starts the activity sources and the first decision.
  void start();
  // Stops the timers and the sources, for shutdown.
  void stop();

  // Notes activity from `source` ("api" for POST /activity, "input_log" for the watcher).
  void record_activity(ActivityOrigin origin, const std::string& source);
  ControlMode mode() const { return mode_; }
  // Changes the control mode and keeps it in the mode file, if any. Returns false, with the
  // mode changed in memory only, when the file cannot be written.
  bool set_mode(ControlMode mode);
  Controller controller() const { return activity_.controller(mode_); }

  // The "idle" object of GET /state.
  nlohmann::json state_json() const;
  // The idle pauser's counters and idle time in the Prometheus text format, for GET /metrics.
  std::string metrics_text() const;

 private:
  void schedule_evaluation();
  void evaluate();
  bool wait_for_fresh_x_sample(IdleClock::time_point now);
  void auto_pause(const IdleObservation& observation, const IdleDecision& decision);
  void auto_resume(const IdleObservation& observation);
  void arm_timer(std::optional<IdleClock::time_point> at);
  void follow_session();
  void on_x_sample(std::optional<std::chrono::milliseconds> idle);
  void on_input_line(const InputLogLine& line);
  void close_inactivity_span(IdleClock::time_point now);
  void schedule_sample_metric();
  void emit_sample_metric();
  void emit_timing(const char* operation, const char* metric, double duration_ms, bool ok,
                   nlohmann::json tags);
  IdleObservation observe(IdleClock::time_point now) const;

  boost::asio::io_context& io_;
  const IdleSettings settings_;
  Recorder& recorder_;
  TelemetryEmitter& telemetry_;
  const IdlePauserSources sources_;

  ControlMode mode_;
  const char* mode_source_ = "environment";  // or "saved": read from the mode file
  ActivityTracker activity_;
  PauseHistory history_;
  IdleDecision last_decision_;
  boost::asio::steady_timer decision_timer_;
  boost::asio::steady_timer sample_timer_;
  std::unique_ptr<XIdleSampler> x_idle_;
  InputLogWatcher input_logs_;
  std::optional<std::filesystem::path> watched_session_;
  RecorderState last_state_ = RecorderState::kIdle;
  bool evaluation_posted_ = false;
  bool stopped_ = false;

  // X idle readings: whether the last one succeeded, when it arrived, and a pending request
  // for a fresh one.
  bool x_idle_available_ = false;
  IdleClock::time_point x_sample_at_{};
  std::optional<IdleClock::time_point> x_sample_requested_at_;
  // After a failed automatic pause or resume, no new attempt before this time.
  std::optional<IdleClock::time_point> action_retry_at_;

  std::uint64_t auto_pauses_ = 0;
  std::uint64_t auto_resumes_ = 0;
  std::uint64_t auto_pause_failures_ = 0;
  std::uint64_t auto_resume_failures_ = 0;
  std::chrono::milliseconds paused_by_inactivity_{0};
  std::optional<IdleClock::time_point> inactivity_pause_since_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace winebot::node

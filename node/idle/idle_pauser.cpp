#include "node/idle/idle_pauser.hpp"

#include <cmath>

#include <boost/asio/post.hpp>

#include "shared/log/logger.hpp"
#include "shared/util/files.hpp"

namespace winebot::node {
namespace {

using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// A reading older than this is refreshed before an automatic pause.
constexpr milliseconds kFreshXSampleAge{100};
// How long a pause waits for the fresh reading before it goes ahead without it.
constexpr milliseconds kFreshXSampleWait{250};
// After a failed automatic pause or resume, the next attempt waits this long (or for a recorder
// change), because the action blocks the io_context thread while it waits for the capture thread.
constexpr milliseconds kFailedActionRetryDelay{30000};

// A saved mode is one of three short names; anything longer is not read.
constexpr std::uintmax_t kMaxModeFileBytes = 64;

double seconds_of(IdleClock::duration span) {
  const double seconds = std::chrono::duration<double>(span).count();
  return std::round(seconds * 1000.0) / 1000.0;  // 3 decimals, as WineBot's tags have
}

// The mode saved through POST /control/mode, if the file contains a valid one.
std::optional<ControlMode> load_saved_mode(const std::filesystem::path& file) {
  const std::optional<ControlMode> fallback;
  if (file.empty()) {
    return fallback;
  }
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  if (error) {
    return fallback;  // no mode saved yet
  }
  if (size > kMaxModeFileBytes) {
    shared::log_warn("idle.mode_file_invalid",
                     {shared::field("path", file.string()),
                      shared::field("bytes", static_cast<long long>(size))});
    return fallback;
  }
  const auto text = shared::read_text_file(file);
  if (!text) {
    return fallback;
  }
  auto name = *text;
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) {
    name.pop_back();
  }
  const auto mode = parse_control_mode(name);
  if (!mode) {
    shared::log_warn("idle.mode_file_invalid",
                     {shared::field("path", file.string()), shared::field("content", name)});
    return fallback;
  }
  return mode;
}

// WineBot's metrics name the controller with its ControlMode enum: USER or AGENT.
const char* metric_controller_name(Controller controller) {
  switch (controller) {
    case Controller::kUser:
      return "USER";
    case Controller::kAgent:
      return "AGENT";
    case Controller::kNobody:
      break;
  }
  return "NONE";
}

// A performance record of the idle pauser (feature recording, source monitor).
OperationTiming monitor_timing(const char* capability, const char* operation, const char* metric) {
  OperationTiming timing;
  timing.feature = "recording";
  timing.capability = capability;
  timing.feature_set = "recording_and_artifacts";
  timing.operation = operation;
  timing.metric = metric;
  timing.source = "monitor";
  return timing;
}

bool reply_is(const RecordingReply& reply, const char* status) {
  const auto found = reply.body.find("status");
  return reply.http_status == 200 && found != reply.body.end() && *found == status;
}

}  // namespace

IdlePauser::IdlePauser(boost::asio::io_context& io, IdleSettings settings, Recorder& recorder,
                       TelemetryEmitter& telemetry, IdlePauserSources sources)
    : io_(io),
      settings_(std::move(settings)),
      recorder_(recorder),
      telemetry_(telemetry),
      sources_(std::move(sources)),
      mode_(settings_.default_mode),
      activity_(IdleClock::now()),
      decision_timer_(io),
      sample_timer_(io),
      input_logs_(io, [this](const InputLogLine& line) { on_input_line(line); }) {
  if (const auto saved = load_saved_mode(sources_.mode_file)) {
    mode_ = *saved;
    mode_source_ = "saved";
  }
}

void IdlePauser::start() {
  shared::log_info(
      "idle.started",
      {shared::field("mode", to_string(mode_)), shared::field("mode_source", mode_source_),
       shared::field("pause_after_s", seconds_of(settings_.pause_after)),
       shared::field("display", sources_.display)});
  recorder_.add_change_listener([this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) {
      schedule_evaluation();
    }
  });
  if (!sources_.display.empty()) {
    x_idle_ = std::make_unique<XIdleSampler>(
        io_, sources_.display, settings_.x_idle_interval,
        [this](std::optional<milliseconds> idle) { on_x_sample(idle); });
    x_idle_->start();
  }
  follow_session();
  schedule_sample_metric();
  evaluate();
}

void IdlePauser::stop() {
  stopped_ = true;
  decision_timer_.cancel();
  sample_timer_.cancel();
  x_idle_.reset();
  input_logs_.watch({});
}

void IdlePauser::record_activity(ActivityOrigin origin, const std::string& source) {
  activity_.record(origin, source, IdleClock::now());
  schedule_evaluation();
}

bool IdlePauser::set_mode(ControlMode mode) {
  mode_ = mode;
  shared::log_info("idle.mode_changed", {shared::field("mode", to_string(mode))});
  evaluate();
  if (sources_.mode_file.empty()) {
    return true;
  }
  try {
    shared::write_file_atomically(sources_.mode_file, std::string(to_string(mode)) + "\n");
    return true;
  } catch (const std::exception& failure) {
    shared::log_warn("idle.mode_write_failed", {shared::field("path", sources_.mode_file.string()),
                                                shared::field("error", failure.what())});
    return false;
  }
}

// ---- decisions ------------------------------------------------------------------------------

// Recorder change listeners run inside the recording actions, so the evaluation is posted, and
// posted once however many changes arrive before it runs.
void IdlePauser::schedule_evaluation() {
  if (evaluation_posted_ || stopped_) {
    return;
  }
  evaluation_posted_ = true;
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) {
      return;
    }
    evaluation_posted_ = false;
    evaluate();
  });
}

IdleObservation IdlePauser::observe(IdleClock::time_point now) const {
  return {now, activity_.last_activity(), activity_.controller(mode_), recorder_.state(),
          recorder_.manual_pause_locked()};
}

void IdlePauser::evaluate() {
  if (stopped_) {
    return;
  }
  const auto now = IdleClock::now();
  follow_session();
  const auto session_id = watched_session_
                              ? std::optional<std::string>(watched_session_->filename().string())
                              : std::nullopt;
  history_ = observe_recorder(history_, session_id, recorder_.state(), now);

  // Starting or resuming a recording by hand (or by an agent) is activity, so a new recording
  // on an idle node is not paused at once.
  // An automatic resume sets last_state_ itself, so only resumes by others count here.
  const auto state = recorder_.state();
  if (state == RecorderState::kRecording && last_state_ != RecorderState::kRecording) {
    activity_.record(ActivityOrigin::kUnknown, "recording_action", now);
  }
  if (state != last_state_) {
    action_retry_at_.reset();  // a recorder change ends the back-off of a failed action
  }
  last_state_ = state;

  const auto observation = observe(now);
  if (inactivity_pause_since_ &&
      (observation.recorder != RecorderState::kPaused || observation.manual_pause_lock)) {
    close_inactivity_span(now);
  }

  const auto decision = decide_idle_action(observation, history_, settings_);
  last_decision_ = decision;
  if (decision.action != IdleAction::kNone && action_retry_at_ && now < *action_retry_at_) {
    arm_timer(action_retry_at_);  // back-off after a failed action
    return;
  }
  if (decision.action == IdleAction::kPause) {
    if (wait_for_fresh_x_sample(now)) {
      return;
    }
    auto_pause(observation, decision);
  } else if (decision.action == IdleAction::kResume) {
    auto_resume(observation);
  } else {
    arm_timer(decision.recheck_at);
  }
}

// Asks the X sampler for a fresh reading when the last one is too old to rule out recent input.
// The reading's arrival runs the evaluation again. Returns true while waiting for it.
bool IdlePauser::wait_for_fresh_x_sample(IdleClock::time_point now) {
  if (!x_idle_ || !x_idle_available_ || now - x_sample_at_ <= kFreshXSampleAge) {
    return false;
  }
  if (x_sample_requested_at_ && now - *x_sample_requested_at_ >= kFreshXSampleWait) {
    x_sample_requested_at_.reset();
    return false;  // the X server is slow to reply, so go ahead on what is known
  }
  if (!x_sample_requested_at_) {
    x_sample_requested_at_ = now;
    x_idle_->sample_now();
  }
  arm_timer(*x_sample_requested_at_ + kFreshXSampleWait);
  return true;
}

void IdlePauser::auto_pause(const IdleObservation& observation, const IdleDecision& decision) {
  const auto idle = observation.now - observation.last_activity;
  // How long after the threshold this runs; the threshold counts from decision.idle_since.
  const auto late = observation.now - (decision.idle_since + decision.threshold);
  const auto started = IdleClock::now();
  const auto reply = recorder_.pause(PauseOrigin::kAutomatic);
  const auto finished = IdleClock::now();
  const bool ok = reply_is(reply, "paused");

  const json extra{{"idle_seconds", seconds_of(idle)},
                   {"threshold_seconds", seconds_of(decision.threshold)},
                   {"controller", to_string(observation.controller)},
                   {"control_mode", to_string(mode_)},
                   {"delay_ms", duration_cast<milliseconds>(late + (finished - started)).count()}};
  if (ok) {
    ++auto_pauses_;
    history_.last_auto_pause = finished;
    history_.paused_since = finished;
    inactivity_pause_since_ = finished;
    const auto whole_seconds = std::chrono::duration_cast<std::chrono::seconds>(idle).count();
    recorder_.append_lifecycle_event(
        "auto_pause", "Inactivity pause after " + std::to_string(whole_seconds) + "s", extra,
        "monitor");
  } else {
    ++auto_pause_failures_;
    action_retry_at_ = finished + kFailedActionRetryDelay;
    auto failed = extra;
    failed["result"] = reply.body;
    failed["http_status"] = reply.http_status;
    recorder_.append_lifecycle_event("auto_pause_failed", "Inactivity auto-pause failed", failed,
                                     "monitor");
  }
  if (ok) {
    shared::log_info("idle.auto_pause",
                     {shared::field("idle_s", seconds_of(idle)),
                      shared::field("delay_ms", extra["delay_ms"].get<long long>())});
  } else {
    shared::log_warn("idle.auto_pause_failed", {shared::field("http_status", reply.http_status),
                                                shared::field("reply", reply.body.dump())});
  }
  emit_timing("auto_pause", "recording.auto_pause.latency",
              std::chrono::duration<double, std::milli>(finished - started).count(), ok,
              {{"ok", ok},
               {"idle_time_sec", seconds_of(idle)},
               {"threshold_sec", seconds_of(decision.threshold)},
               {"control_mode", metric_controller_name(observation.controller)}});
  evaluate();  // arms the timer for what comes next, or the back-off after a failure
}

void IdlePauser::auto_resume(const IdleObservation& observation) {
  const auto idle = observation.now - observation.last_activity;
  const auto dwell = history_.paused_since ? observation.now - *history_.paused_since
                                           : IdleClock::duration::zero();
  const auto started = IdleClock::now();
  const auto reply = recorder_.resume();
  const auto finished = IdleClock::now();
  last_state_ = recorder_.state();
  const bool ok = reply_is(reply, "resumed");

  json extra{{"idle_seconds", seconds_of(idle)},
             {"paused_seconds", seconds_of(dwell)},
             {"origin", to_string(activity_.last_origin())},
             {"activity_source", activity_.last_source()},
             {"controller", to_string(observation.controller)}};
  if (ok) {
    ++auto_resumes_;
    history_.last_auto_resume = finished;
    recorder_.append_lifecycle_event("auto_resume", "Activity detected, auto-resuming", extra,
                                     "monitor");
  } else {
    ++auto_resume_failures_;
    action_retry_at_ = finished + kFailedActionRetryDelay;
    extra["result"] = reply.body;
    extra["http_status"] = reply.http_status;
    recorder_.append_lifecycle_event("auto_resume_failed", "Activity-triggered auto-resume failed",
                                     extra, "monitor");
  }
  if (ok) {
    shared::log_info("idle.auto_resume",
                     {shared::field("idle_s", seconds_of(idle)),
                      shared::field("origin", to_string(activity_.last_origin()))});
  } else {
    shared::log_warn("idle.auto_resume_failed", {shared::field("http_status", reply.http_status),
                                                 shared::field("reply", reply.body.dump())});
  }
  emit_timing("auto_resume", "recording.auto_resume.latency",
              std::chrono::duration<double, std::milli>(finished - started).count(), ok,
              {{"ok", ok},
               {"idle_time_sec", seconds_of(idle)},
               {"resume_activity_window_sec", seconds_of(settings_.resume_window)},
               {"pause_dwell_sec", seconds_of(dwell)},
               {"control_mode", metric_controller_name(observation.controller)}});
  evaluate();  // arms the timer for what comes next, or the back-off after a failure
}

void IdlePauser::arm_timer(std::optional<IdleClock::time_point> at) {
  decision_timer_.cancel();
  if (!at || stopped_) {
    return;
  }
  decision_timer_.expires_at(*at);
  decision_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& error) {
        if (!error && !alive.expired()) {
          evaluate();
        }
      });
}

void IdlePauser::close_inactivity_span(IdleClock::time_point now) {
  paused_by_inactivity_ += duration_cast<milliseconds>(now - *inactivity_pause_since_);
  inactivity_pause_since_.reset();
}

// ---- activity sources -----------------------------------------------------------------------

// Follows the active session: its input event logs are watched, and a new session starts a new
// pause history (observe_recorder resets it).
void IdlePauser::follow_session() {
  const auto session = recorder_.active_session_dir();
  if (session == watched_session_) {
    return;
  }
  watched_session_ = session;
  input_logs_.watch(session ? *session / "logs" : std::filesystem::path());
}

// Lines with a time older than the resume window are history, such as a replaced file read from
// its start or a rescan, so they do not count. Lines without a time count as new.
void IdlePauser::on_input_line(const InputLogLine& line) {
  if (line.epoch_ms) {
    const auto now_ms = std::chrono::duration_cast<milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (now_ms - *line.epoch_ms > settings_.resume_window.count()) {
      return;
    }
  }
  record_activity(line.origin, "input_log");
}

void IdlePauser::on_x_sample(std::optional<milliseconds> idle) {
  const auto now = IdleClock::now();
  const bool requested = x_sample_requested_at_.has_value();
  x_sample_requested_at_.reset();
  x_idle_available_ = idle.has_value();
  if (!idle) {
    if (requested) {
      evaluate();
    }
    return;
  }
  x_sample_at_ = now;
  const auto before = activity_.last_activity();
  activity_.record(ActivityOrigin::kUnknown, "x11", now - *idle);
  if (requested || activity_.last_activity() != before ||
      recorder_.active_session_dir() != watched_session_) {
    evaluate();
  }
}

// ---- metrics and state ----------------------------------------------------------------------

void IdlePauser::schedule_sample_metric() {
  if (stopped_) {
    return;
  }
  sample_timer_.expires_after(settings_.sample_period);
  sample_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& error) {
        if (error || alive.expired()) {
          return;
        }
        emit_sample_metric();
        schedule_sample_metric();
      });
}

void IdlePauser::emit_sample_metric() {
  if (pause_threshold(controller(), settings_) <= milliseconds::zero()) {
    return;  // WineBot's monitor samples nothing while it is disabled
  }
  const auto now = IdleClock::now();
  auto timing = monitor_timing("inactivity_monitor", "sample", "inactivity.monitor_sample");
  timing.tags = {{"state", recorder_.derived_status()},
                 {"idle_time_sec", seconds_of(now - activity_.last_activity())},
                 {"idle_pause_threshold_sec", seconds_of(last_decision_.threshold)},
                 {"resume_activity_window_sec", seconds_of(settings_.resume_window)},
                 {"min_pause_dwell_sec", seconds_of(settings_.min_pause)},
                 {"resume_cooldown_sec", seconds_of(settings_.resume_cooldown)},
                 {"control_mode", metric_controller_name(controller())}};
  telemetry_.emit(recorder_.active_session_dir(), timing);
}

void IdlePauser::emit_timing(const char* operation, const char* metric, double duration_ms, bool ok,
                             json tags) {
  auto timing = monitor_timing("pause_resume", operation, metric);
  timing.duration_ms = duration_ms;
  timing.result = ok ? "ok" : "error";
  timing.tags = std::move(tags);
  telemetry_.emit(recorder_.active_session_dir(), timing);
}

std::string IdlePauser::metrics_text() const {
  const auto state = state_json();
  std::string text;
  const auto write = [&text](const char* name, const char* type, const char* help,
                             const json& value) {
    text += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
            name + " " + value.dump() + "\n";
  };
  write("winebot_idle_auto_pauses_total", "counter", "Automatic pauses of the recorder.",
        state["auto_pauses"]);
  write("winebot_idle_auto_resumes_total", "counter", "Automatic resumes of the recorder.",
        state["auto_resumes"]);
  write("winebot_idle_auto_pause_failures_total", "counter", "Automatic pauses that failed.",
        state["auto_pause_failures"]);
  write("winebot_idle_auto_resume_failures_total", "counter", "Automatic resumes that failed.",
        state["auto_resume_failures"]);
  write("winebot_idle_paused_seconds_total", "counter",
        "Seconds the recorder spent paused by inactivity.", state["paused_by_inactivity_seconds"]);
  write("winebot_idle_seconds", "gauge", "Seconds since the last activity.", state["idle_seconds"]);
  return text;
}

json IdlePauser::state_json() const {
  const auto now = IdleClock::now();
  auto paused = paused_by_inactivity_;
  if (inactivity_pause_since_) {
    paused += duration_cast<milliseconds>(now - *inactivity_pause_since_);
  }
  const auto threshold = pause_threshold(controller(), settings_);
  json next = nullptr;
  if (last_decision_.recheck_at) {
    next = seconds_of(std::max(IdleClock::duration::zero(), *last_decision_.recheck_at - now));
  }
  return {{"enabled", threshold > milliseconds::zero()},
          {"control_mode", to_string(mode_)},
          {"controller",
           controller() == Controller::kNobody ? json(nullptr) : json(to_string(controller()))},
          {"idle_seconds", seconds_of(now - activity_.last_activity())},
          {"idle_threshold_seconds", seconds_of(threshold)},
          {"last_activity_origin", to_string(activity_.last_origin())},
          {"last_activity_source", activity_.last_source()},
          {"x_idle_available", x_idle_available_},
          {"decision", last_decision_.reason},
          {"next_check_in_seconds", next},
          {"auto_pauses", auto_pauses_},
          {"auto_resumes", auto_resumes_},
          {"auto_pause_failures", auto_pause_failures_},
          {"auto_resume_failures", auto_resume_failures_},
          {"paused_by_inactivity_seconds", seconds_of(paused)},
          {"input_log_lines", input_logs_.lines_seen()}};
}

}  // namespace winebot::node

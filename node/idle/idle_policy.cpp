#include "node/idle/idle_policy.hpp"

#include <algorithm>

namespace winebot::node {
namespace {

using std::chrono::milliseconds;

IdleDecision decide_while_recording(const IdleObservation& observation, const PauseHistory& history,
                                    IdleDecision decision) {
  if (decision.threshold <= milliseconds::zero()) {
    decision.reason = "disabled";
    return decision;
  }
  const auto idle_since = std::max(observation.last_activity,
                                   history.last_auto_resume.value_or(observation.last_activity));
  decision.idle_since = idle_since;
  const auto idle_at = idle_since + decision.threshold;
  if (observation.now >= idle_at) {
    decision.action = IdleAction::kPause;
    decision.reason = "idle";
    return decision;
  }
  decision.reason = "active";
  decision.recheck_at = idle_at;
  return decision;
}

// A zero threshold stops automatic pauses only. A recorder paused automatically earlier still
// resumes on activity, so switching the controller never strands a paused recording.
IdleDecision decide_while_paused(const IdleObservation& observation, const PauseHistory& history,
                                 const IdleSettings& settings, IdleDecision decision) {
  if (observation.manual_pause_lock) {
    decision.reason = "manual_lock";
    return decision;
  }
  // Activity from before the last automatic pause never resumes it, even when the idle
  // threshold is shorter than the resume window (WineBot would resume on it).
  const auto window_end = observation.last_activity + settings.resume_window;
  const bool stale =
      history.last_auto_pause && observation.last_activity <= *history.last_auto_pause;
  if (observation.now > window_end || stale) {
    decision.reason = "no_recent_activity";
    return decision;
  }

  const auto dwell_end = history.paused_since.value_or(observation.now) + settings.min_pause;
  const auto cooldown_end =
      history.last_auto_pause ? *history.last_auto_pause + settings.resume_cooldown : dwell_end;
  const auto ready_at = std::max(dwell_end, cooldown_end);
  if (observation.now >= ready_at) {
    decision.action = IdleAction::kResume;
    decision.reason = "activity";
    return decision;
  }

  decision.reason = cooldown_end > dwell_end ? "cooldown" : "min_pause";
  if (ready_at <= window_end) {
    decision.recheck_at = ready_at;  // otherwise the activity is too old by then
  }
  return decision;
}

}  // namespace

milliseconds pause_threshold(Controller controller, const IdleSettings& settings) {
  switch (controller) {
    case Controller::kUser:
      return settings.pause_after_human;
    case Controller::kAgent:
      return settings.pause_after_agent;
    case Controller::kNobody:
      break;
  }
  return settings.pause_after;
}

IdleDecision decide_idle_action(const IdleObservation& observation, const PauseHistory& history,
                                const IdleSettings& settings) {
  IdleDecision decision;
  decision.threshold = pause_threshold(observation.controller, settings);
  switch (observation.recorder) {
    case RecorderState::kRecording:
      return decide_while_recording(observation, history, decision);
    case RecorderState::kPaused:
      return decide_while_paused(observation, history, settings, decision);
    case RecorderState::kIdle:
    case RecorderState::kStopping:
      break;
  }
  decision.reason = "not_recording";
  return decision;
}

PauseHistory observe_recorder(PauseHistory history, const std::optional<std::string>& session_id,
                              RecorderState recorder, IdleClock::time_point now) {
  if (session_id != history.session_id) {
    history = PauseHistory{session_id, std::nullopt, std::nullopt, std::nullopt};
  }
  if (recorder != RecorderState::kPaused) {
    history.paused_since.reset();
  } else if (!history.paused_since) {
    history.paused_since = now;
  }
  return history;
}

}  // namespace winebot::node

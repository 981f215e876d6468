#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "node/idle/activity.hpp"
#include "node/idle/idle_settings.hpp"
#include "node/recorder/recorder_state.hpp"

namespace winebot::node {

using IdleClock = std::chrono::steady_clock;

enum class IdleAction { kNone, kPause, kResume };

// The idle pauser's memory between decisions, reset when the session changes.
struct PauseHistory {
  std::optional<std::string> session_id;
  // When the recorder was first seen paused, by hand or automatically; empty while not paused.
  std::optional<IdleClock::time_point> paused_since;
  // The last automatic pause in this session; the resume cooldown counts from it.
  std::optional<IdleClock::time_point> last_auto_pause;
  // The last automatic resume in this session. The idle threshold counts from it when it is
  // newer than the last activity, so a resume is not followed at once by another pause.
  std::optional<IdleClock::time_point> last_auto_resume;
};

// The facts a decision is made from.
struct IdleObservation {
  IdleClock::time_point now;
  IdleClock::time_point last_activity;
  Controller controller = Controller::kNobody;
  RecorderState recorder = RecorderState::kIdle;
  bool manual_pause_lock = false;
};

struct IdleDecision {
  IdleAction action = IdleAction::kNone;
  // The earliest time at which the same facts give another decision, such as the moment the
  // idle threshold is crossed or the dwell ends. Empty when only new activity or a recorder
  // change can alter the decision.
  std::optional<IdleClock::time_point> recheck_at;
  // Why: "disabled", "active", "idle", "not_recording", "manual_lock", "no_recent_activity",
  // "min_pause", "cooldown" or "activity".
  const char* reason = "";
  std::chrono::milliseconds threshold{0};  // the idle threshold for the controller
  // While recording: when the idle time began (the last activity or automatic resume).
  IdleClock::time_point idle_since{};
};

// Returns the idle threshold for `controller`: the human or agent override, or the base value
// when nobody is in control yet.
std::chrono::milliseconds pause_threshold(Controller controller, const IdleSettings& settings);

// Decides whether to pause or resume the recorder. A recording pauses once the idle time (now
// minus the last activity or automatic resume, whichever is newer) reaches the controller's
// threshold, unless that threshold is zero. A paused recorder resumes only when all of these
// hold:
//   - no manual pause lock is set;
//   - the last activity is at most the resume window old and newer than the last automatic
//     pause;
//   - it has been paused for the minimum pause;
//   - the cooldown since the last automatic pause has passed.
// Pure: the same inputs give the same decision.
IdleDecision decide_idle_action(const IdleObservation& observation, const PauseHistory& history,
                                const IdleSettings& settings);

// Returns `history` brought up to date with the recorder's state at `now`: everything is reset
// when `session_id` differs from the remembered one, `paused_since` is set on the first paused
// observation and cleared when the recorder is no longer paused.
PauseHistory observe_recorder(PauseHistory history, const std::optional<std::string>& session_id,
                              RecorderState recorder, IdleClock::time_point now);

}  // namespace winebot::node

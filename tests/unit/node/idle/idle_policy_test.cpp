#include "node/idle/idle_policy.hpp"

#include <catch2/catch.hpp>

namespace winebot::node {
namespace {

using namespace std::chrono_literals;

// Short, distinct settings so that every rule shows in the figures: threshold 60 s (human
// 120 s, agent 30 s), resume window 10 s, minimum pause 15 s, cooldown 20 s.
IdleSettings settings() {
  IdleSettings settings;
  settings.pause_after = 60s;
  settings.pause_after_human = 120s;
  settings.pause_after_agent = 30s;
  settings.resume_window = 10s;
  settings.min_pause = 15s;
  settings.resume_cooldown = 20s;
  return settings;
}

const IdleClock::time_point kStart{1000h};  // an arbitrary steady-clock origin

IdleObservation recording_at(IdleClock::duration since_start, IdleClock::duration last_activity,
                             Controller controller = Controller::kNobody) {
  return {kStart + since_start, kStart + last_activity, controller, RecorderState::kRecording,
          false};
}

// Paused automatically at `paused_at`, by the same clock.
PauseHistory auto_paused_at(IdleClock::duration paused_at) {
  return {std::string("session-1"), kStart + paused_at, kStart + paused_at, std::nullopt};
}

IdleObservation paused_at(IdleClock::duration since_start, IdleClock::duration last_activity,
                          bool manual_lock = false) {
  return {kStart + since_start, kStart + last_activity, Controller::kNobody, RecorderState::kPaused,
          manual_lock};
}

TEST_CASE("IdlePolicy keeps recording before the threshold", "[idle]") {
  const auto decision = decide_idle_action(recording_at(59s, 0s), {}, settings());
  CHECK(decision.action == IdleAction::kNone);
  CHECK(std::string(decision.reason) == "active");
  REQUIRE(decision.recheck_at);
  CHECK(*decision.recheck_at == kStart + 60s);
}

TEST_CASE("IdlePolicy pauses at the threshold", "[idle]") {
  const auto decision = decide_idle_action(recording_at(60s, 0s), {}, settings());
  CHECK(decision.action == IdleAction::kPause);
  CHECK(std::string(decision.reason) == "idle");
  CHECK(decision.threshold == 60s);
}

TEST_CASE("IdlePolicy threshold follows the controller", "[idle]") {
  CHECK(pause_threshold(Controller::kNobody, settings()) == 60s);
  CHECK(pause_threshold(Controller::kUser, settings()) == 120s);
  CHECK(pause_threshold(Controller::kAgent, settings()) == 30s);

  CHECK(decide_idle_action(recording_at(100s, 0s, Controller::kUser), {}, settings()).action ==
        IdleAction::kNone);
  CHECK(decide_idle_action(recording_at(120s, 0s, Controller::kUser), {}, settings()).action ==
        IdleAction::kPause);
  CHECK(decide_idle_action(recording_at(29s, 0s, Controller::kAgent), {}, settings()).action ==
        IdleAction::kNone);
  CHECK(decide_idle_action(recording_at(30s, 0s, Controller::kAgent), {}, settings()).action ==
        IdleAction::kPause);
}

TEST_CASE("IdlePolicy counts idle time from the last activity", "[idle]") {
  const auto decision = decide_idle_action(recording_at(100s, 50s), {}, settings());
  CHECK(decision.action == IdleAction::kNone);
  REQUIRE(decision.recheck_at);
  CHECK(*decision.recheck_at == kStart + 110s);
}

TEST_CASE("IdlePolicy counts idle time from an automatic resume", "[idle]") {
  // Activity at 100 s, resumed automatically at 115 s: with a 60 s threshold the pause is due
  // at 175 s, not at 160 s.
  PauseHistory history{std::string("session-1"), std::nullopt, kStart + 90s, kStart + 115s};
  const auto early = decide_idle_action(recording_at(165s, 100s), history, settings());
  CHECK(early.action == IdleAction::kNone);
  REQUIRE(early.recheck_at);
  CHECK(*early.recheck_at == kStart + 175s);
  CHECK(decide_idle_action(recording_at(175s, 100s), history, settings()).action ==
        IdleAction::kPause);
  // Newer activity counts from itself.
  const auto later = decide_idle_action(recording_at(165s, 120s), history, settings());
  REQUIRE(later.recheck_at);
  CHECK(*later.recheck_at == kStart + 180s);
}

TEST_CASE("IdlePolicy is disabled by a zero threshold", "[idle]") {
  auto disabled = settings();
  disabled.pause_after = 0s;
  disabled.pause_after_human = 0s;
  disabled.pause_after_agent = 0s;
  const auto decision = decide_idle_action(recording_at(10h, 0s), {}, disabled);
  CHECK(decision.action == IdleAction::kNone);
  CHECK(std::string(decision.reason) == "disabled");
  CHECK_FALSE(decision.recheck_at);
}

TEST_CASE("IdlePolicy zero override disables one controller only", "[idle]") {
  auto human_off = settings();
  human_off.pause_after_human = 0s;
  CHECK(decide_idle_action(recording_at(10h, 0s, Controller::kUser), {}, human_off).action ==
        IdleAction::kNone);
  CHECK(decide_idle_action(recording_at(30s, 0s, Controller::kAgent), {}, human_off).action ==
        IdleAction::kPause);
}

TEST_CASE("IdlePolicy ignores an idle or stopping recorder", "[idle]") {
  for (const auto state : {RecorderState::kIdle, RecorderState::kStopping}) {
    auto observation = recording_at(10h, 0s);
    observation.recorder = state;
    const auto decision = decide_idle_action(observation, {}, settings());
    CHECK(decision.action == IdleAction::kNone);
    CHECK(std::string(decision.reason) == "not_recording");
    CHECK_FALSE(decision.recheck_at);
  }
}

TEST_CASE("IdlePolicy resumes on recent activity after dwell and cooldown", "[idle]") {
  // Paused at 100 s; activity at 125 s; the dwell ends at 115 s and the cooldown at 120 s.
  const auto decision = decide_idle_action(paused_at(125s, 125s), auto_paused_at(100s), settings());
  CHECK(decision.action == IdleAction::kResume);
  CHECK(std::string(decision.reason) == "activity");
}

TEST_CASE("IdlePolicy resume window compares with at most", "[idle]") {
  // Activity exactly 10 s old still resumes; 10.001 s old does not.
  CHECK(decide_idle_action(paused_at(140s, 130s), auto_paused_at(100s), settings()).action ==
        IdleAction::kResume);
  const auto late =
      decide_idle_action(paused_at(140s + 1ms, 130s), auto_paused_at(100s), settings());
  CHECK(late.action == IdleAction::kNone);
  CHECK(std::string(late.reason) == "no_recent_activity");
  CHECK_FALSE(late.recheck_at);
}

TEST_CASE("IdlePolicy waits for the minimum pause", "[idle]") {
  auto long_dwell = settings();
  long_dwell.min_pause = 30s;
  // Paused at 100 s, activity at 105 s: the dwell ends at 130 s, after the window (115 s).
  const auto too_late = decide_idle_action(paused_at(105s, 105s), auto_paused_at(100s), long_dwell);
  CHECK(too_late.action == IdleAction::kNone);
  CHECK(std::string(too_late.reason) == "min_pause");
  CHECK_FALSE(too_late.recheck_at);

  // Activity at 125 s: the dwell ends at 130 s, inside the window (135 s): recheck then.
  const auto soon = decide_idle_action(paused_at(125s, 125s), auto_paused_at(100s), long_dwell);
  CHECK(soon.action == IdleAction::kNone);
  REQUIRE(soon.recheck_at);
  CHECK(*soon.recheck_at == kStart + 130s);
  CHECK(decide_idle_action(paused_at(130s, 125s), auto_paused_at(100s), long_dwell).action ==
        IdleAction::kResume);
}

TEST_CASE("IdlePolicy waits for the cooldown", "[idle]") {
  // Dwell 15 s ends at 115 s, cooldown 20 s at 120 s; activity at 112 s.
  const auto decision = decide_idle_action(paused_at(112s, 112s), auto_paused_at(100s), settings());
  CHECK(decision.action == IdleAction::kNone);
  CHECK(std::string(decision.reason) == "cooldown");
  REQUIRE(decision.recheck_at);
  CHECK(*decision.recheck_at == kStart + 120s);
  CHECK(decide_idle_action(paused_at(120s, 112s), auto_paused_at(100s), settings()).action ==
        IdleAction::kResume);
}

TEST_CASE("IdlePolicy cooldown counts from the last automatic pause", "[idle]") {
  // Paused by hand (lock since cleared) at 100 s, no automatic pause: only the dwell applies.
  const PauseHistory manual{std::string("session-1"), kStart + 100s, std::nullopt, std::nullopt};
  CHECK(decide_idle_action(paused_at(115s, 115s), manual, settings()).action ==
        IdleAction::kResume);
}

TEST_CASE("IdlePolicy never resumes under the manual lock", "[idle]") {
  const auto decision =
      decide_idle_action(paused_at(200s, 200s, true), auto_paused_at(100s), settings());
  CHECK(decision.action == IdleAction::kNone);
  CHECK(std::string(decision.reason) == "manual_lock");
  CHECK_FALSE(decision.recheck_at);
}

TEST_CASE("IdlePolicy ignores activity from before the pause", "[idle]") {
  auto short_threshold = settings();
  short_threshold.pause_after = 5s;  // shorter than the 10 s resume window
  short_threshold.min_pause = 0s;
  short_threshold.resume_cooldown = 0s;
  // Activity at 95 s led to the pause at 100 s; it must not resume the recording.
  const auto decision =
      decide_idle_action(paused_at(101s, 95s), auto_paused_at(100s), short_threshold);
  CHECK(decision.action == IdleAction::kNone);
  CHECK(std::string(decision.reason) == "no_recent_activity");
}

TEST_CASE("IdlePolicy resumes after zero threshold switch", "[idle]") {
  auto agent_off = settings();
  agent_off.pause_after_agent = 0s;
  auto observation = paused_at(125s, 125s);
  observation.controller = Controller::kAgent;
  CHECK(decide_idle_action(observation, auto_paused_at(100s), agent_off).action ==
        IdleAction::kResume);
}

TEST_CASE("PauseHistory dwell starts at the first paused observation", "[idle]") {
  auto history = observe_recorder({}, std::string("s1"), RecorderState::kRecording, kStart);
  CHECK_FALSE(history.paused_since);
  history = observe_recorder(history, std::string("s1"), RecorderState::kPaused, kStart + 5s);
  REQUIRE(history.paused_since);
  CHECK(*history.paused_since == kStart + 5s);
  history = observe_recorder(history, std::string("s1"), RecorderState::kPaused, kStart + 9s);
  CHECK(*history.paused_since == kStart + 5s);
  history = observe_recorder(history, std::string("s1"), RecorderState::kRecording, kStart + 10s);
  CHECK_FALSE(history.paused_since);
}

TEST_CASE("PauseHistory resets on a session change", "[idle]") {
  auto history = auto_paused_at(100s);
  history =
      observe_recorder(history, std::string("session-2"), RecorderState::kPaused, kStart + 200s);
  CHECK(history.session_id == std::optional<std::string>("session-2"));
  CHECK_FALSE(history.last_auto_pause);
  REQUIRE(history.paused_since);
  CHECK(*history.paused_since == kStart + 200s);

  // Same session: the automatic pause is remembered.
  auto same = observe_recorder(auto_paused_at(100s), std::string("session-1"),
                               RecorderState::kPaused, kStart + 200s);
  REQUIRE(same.last_auto_pause);
  CHECK(*same.last_auto_pause == kStart + 100s);
}

TEST_CASE("IdlePolicy session change lifts the cooldown", "[idle]") {
  auto history = auto_paused_at(100s);
  history =
      observe_recorder(history, std::string("session-2"), RecorderState::kPaused, kStart + 101s);
  auto no_dwell = settings();
  no_dwell.min_pause = 0s;
  CHECK(decide_idle_action(paused_at(105s, 105s), history, no_dwell).action == IdleAction::kResume);
}

}  // namespace
}  // namespace winebot::node

#include "node/idle/idle_pauser.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <vector>

#include "tests/unit/support/fake_capture_backend.hpp"
#include "tests/unit/support/run_until.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace winebot::node {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A recorder on the fake capture backend, driven by an idle pauser with short timings and no
// X display: activity comes only from record_activity and the input logs.
struct PauserFixture {
  PauserFixture() {
    recorder_settings.session_root = folder.file("sessions");
    recorder_settings.pointer_file = folder.file("pointer");
    recorder_settings.default_fps = 30;
    recorder_settings.control_wait = 300ms;
    recorder_settings.stop_command_timeout = 300ms;
    recorder_settings.stop_sync_wait = 300ms;
    make_recorder();

    idle_settings.pause_after = 300ms;
    idle_settings.pause_after_human = 300ms;
    idle_settings.pause_after_agent = 300ms;
    idle_settings.resume_window = 1s;
    idle_settings.min_pause = 400ms;
    idle_settings.resume_cooldown = 100ms;
  }
  ~PauserFixture() {
    display.frame_gate.release();
    pauser.reset();
    recorder.reset();
  }

  // (Re)creates the recorder from recorder_settings, with recording enabled.
  void make_recorder() {
    recorder = std::make_unique<Recorder>(
        io, recorder_settings, session,
        [](const std::string& name) -> std::optional<std::string> {
          return name == "WINEBOT_RECORD" ? std::optional<std::string>("1") : std::nullopt;
        },
        [this] { return std::make_unique<test::FakeBackend>(display); });
  }

  void start_pauser() {
    pauser = std::make_unique<IdlePauser>(io, idle_settings, *recorder, telemetry,
                                          IdlePauserSources{"", folder.file("control_mode")});
    pauser->start();
  }

  void start_recording() {
    const auto reply = recorder->start({});
    REQUIRE(reply.body.at("status") == "started");
  }

  // The active session's lifecycle events written by the idle pauser.
  std::vector<json> monitor_records() const {
    std::vector<json> records;
    const auto dir = recorder->active_session_dir();
    if (!dir) {
      return records;
    }
    std::ifstream input(*dir / "logs" / "lifecycle.jsonl");
    std::string line;
    while (std::getline(input, line)) {
      auto record = json::parse(line);
      if (record.at("source") == "monitor") {
        records.push_back(std::move(record));
      }
    }
    return records;
  }

  std::vector<std::string> monitor_events() const {
    std::vector<std::string> kinds;
    for (const auto& record : monitor_records()) {
      kinds.push_back(record.at("kind").get<std::string>());
    }
    return kinds;
  }

  std::vector<json> perf_records(const std::string& metric) const {
    std::vector<json> records;
    std::ifstream input(*recorder->active_session_dir() / "logs" / "perf_metrics.jsonl");
    std::string line;
    while (std::getline(input, line)) {
      auto record = json::parse(line);
      if (record.at("metric") == metric) {
        records.push_back(std::move(record));
      }
    }
    return records;
  }

  bool recorder_in(RecorderState state) const { return recorder->state() == state; }

  test::TempFolder folder;
  boost::asio::io_context io;
  test::FakeDisplay display;
  RecorderSettings recorder_settings;
  ActiveSession session{std::nullopt, folder.file("pointer")};
  std::unique_ptr<Recorder> recorder;
  TelemetryEmitter telemetry{TelemetrySettings{}, [] { return std::chrono::system_clock::now(); },
                             [] { return 0.0; }};
  IdleSettings idle_settings;
  std::unique_ptr<IdlePauser> pauser;
};

TEST_CASE_METHOD(PauserFixture, "IdlePauser pauses an idle recording", "[idle]") {
  start_pauser();
  start_recording();
  const auto started = std::chrono::steady_clock::now();

  REQUIRE(test::run_until(io, [&] { return recorder_in(RecorderState::kPaused); }));

  CHECK(std::chrono::steady_clock::now() - started >= 300ms);
  CHECK_FALSE(recorder->manual_pause_locked());
  CHECK(monitor_events() == std::vector<std::string>{"auto_pause"});
  const auto state = pauser->state_json();
  CHECK(state["auto_pauses"] == 1);
  CHECK(state["decision"] == "no_recent_activity");
  const auto metrics = perf_records("recording.auto_pause.latency");
  REQUIRE(metrics.size() == 1);
  CHECK(metrics[0]["result"] == "ok");
  CHECK(metrics[0]["source"] == "monitor");
  CHECK(metrics[0]["tags"]["ok"] == true);
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser activity postpones the pause", "[idle]") {
  start_pauser();
  start_recording();

  test::run_for(io, 200ms);
  pauser->record_activity(ActivityOrigin::kAgent, "api");
  test::run_for(io, 200ms);  // 400 ms after the start, 200 ms after the activity
  CHECK(recorder_in(RecorderState::kRecording));

  CHECK(test::run_until(io, [&] { return recorder_in(RecorderState::kPaused); }));
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser resumes after the minimum pause", "[idle]") {
  start_pauser();
  start_recording();
  REQUIRE(test::run_until(io, [&] { return recorder_in(RecorderState::kPaused); }));

  pauser->record_activity(ActivityOrigin::kUser, "api");
  REQUIRE(test::run_until(io, [&] { return recorder_in(RecorderState::kRecording); }));

  const auto records = monitor_records();
  REQUIRE(records.size() == 2);
  CHECK(records[0]["kind"] == "auto_pause");
  CHECK(records[1]["kind"] == "auto_resume");
  // Each event is written just after its action, so the gap is the minimum pause at least,
  // less the time to write the first event.
  const auto gap_ms = records[1]["timestamp_epoch_ms"].get<std::int64_t>() -
                      records[0]["timestamp_epoch_ms"].get<std::int64_t>();
  CHECK(gap_ms >= 395);
  const auto state = pauser->state_json();
  CHECK(state["auto_resumes"] == 1);
  CHECK(state["paused_by_inactivity_seconds"].get<double>() >= 0.4);
  CHECK(state["last_activity_origin"] == "user");
  CHECK(perf_records("recording.auto_resume.latency").size() == 1);
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser backs off after a failed pause", "[idle]") {
  recorder_settings.control_wait = 100ms;
  make_recorder();
  start_pauser();
  start_recording();
  display.frame_gate.close();  // the capture thread wedges, so the pause times out

  REQUIRE(test::run_until(io, [&] { return pauser->state_json()["auto_pause_failures"] == 1; }));
  test::run_for(io, 1000ms);

  // One attempt, then the 30 s back-off: no retry loop holding the io_context.
  CHECK(pauser->state_json()["auto_pause_failures"] == 1);
  CHECK(monitor_events() == std::vector<std::string>{"auto_pause_failed"});
  CHECK(recorder_in(RecorderState::kRecording));
  display.frame_gate.release();
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser leaves a manual pause alone", "[idle]") {
  start_pauser();
  start_recording();
  REQUIRE(recorder->pause(PauseOrigin::kManual).body.at("status") == "paused");

  pauser->record_activity(ActivityOrigin::kUser, "api");
  test::run_for(io, 800ms);

  CHECK(recorder_in(RecorderState::kPaused));
  CHECK(pauser->state_json()["decision"] == "manual_lock");
  CHECK(monitor_events().empty());
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser zero threshold never pauses", "[idle]") {
  idle_settings.pause_after = 0ms;
  idle_settings.pause_after_agent = 0ms;
  start_pauser();
  start_recording();

  test::run_for(io, 600ms);

  CHECK(recorder_in(RecorderState::kRecording));
  CHECK(pauser->state_json()["enabled"] == false);
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser counts agent lines in input logs", "[idle]") {
  start_pauser();
  start_recording();
  REQUIRE(test::run_until(io, [&] { return recorder_in(RecorderState::kPaused); }));
  const auto logs = *recorder->active_session_dir() / "logs";
  test::run_for(io, 50ms);  // lets the watcher see the folder of the new session

  std::ofstream(logs / "input_events.jsonl", std::ios::app)
      << R"({"event": "agent_click", "origin": "agent"})" << '\n';

  REQUIRE(test::run_until(io, [&] { return recorder_in(RecorderState::kRecording); }));
  CHECK(pauser->state_json()["last_activity_source"] == "input_log");
  CHECK(pauser->state_json()["last_activity_origin"] == "agent");
}

TEST_CASE_METHOD(PauserFixture, "IdlePauser keeps the control mode", "[idle]") {
  idle_settings.default_mode = ControlMode::kAgentOnly;
  start_pauser();
  CHECK(pauser->mode() == ControlMode::kAgentOnly);
  CHECK(pauser->controller() == Controller::kAgent);

  REQUIRE(pauser->set_mode(ControlMode::kHybrid));
  CHECK(pauser->controller() == Controller::kNobody);
  pauser->record_activity(ActivityOrigin::kUser, "api");
  CHECK(pauser->controller() == Controller::kUser);

  pauser.reset();
  start_pauser();
  CHECK(pauser->mode() == ControlMode::kHybrid);
}

}  // namespace
}  // namespace winebot::node

#include "node/recorder/recorder.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include "node/recorder/recorder_event.hpp"
#include "tests/unit/support/fake_capture_backend.hpp"
#include "tests/unit/support/run_until.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace {

using namespace std::chrono_literals;
using winebot::node::CaptureBackend;
using winebot::node::CaptureError;
using winebot::node::CaptureFailure;
using winebot::node::CapturePlan;
using winebot::node::FrameOutcome;
using winebot::node::FrameResult;
using winebot::node::PauseOrigin;
using winebot::node::Recorder;
using winebot::node::RecorderSettings;
using winebot::node::RecorderState;
using winebot::node::Resolution;
using winebot::node::SegmentOutput;
using winebot::node::StartRequest;
using winebot::test::FakeBackend;
using winebot::test::FakeDisplay;

struct RecorderFixture {
  RecorderFixture() {
    settings.session_root = folder.file("sessions");
    settings.pointer_file = folder.file("pointer");
    settings.default_fps = 30;
    settings.control_wait = 300ms;
    settings.stop_command_timeout = 300ms;
    settings.stop_sync_wait = 300ms;
    recorder = std::make_unique<Recorder>(
        io, settings, session,
        [this](const std::string& name) -> std::optional<std::string> {
          if (name == "WINEBOT_RECORD") {
            return record;
          }
          return std::nullopt;
        },
        [this] { return std::make_unique<FakeBackend>(display); });
  }
  ~RecorderFixture() {
    display.resume_gate.release();
    display.finish_gate.release();
    display.finalize_gate.release();
    recorder.reset();
  }

  std::string status_of(const winebot::node::RecordingReply& reply) {
    REQUIRE(reply.http_status == 200);
    return reply.body.at("status").get<std::string>();
  }

  winebot::test::TempFolder folder;
  boost::asio::io_context io;
  FakeDisplay display;
  RecorderSettings settings;
  winebot::node::ActiveSession session{std::nullopt, folder.file("no-pointer")};
  std::string record = "1";
  std::unique_ptr<Recorder> recorder;
};

}  // namespace

TEST_CASE_METHOD(RecorderFixture, "Recorder requires WINEBOT_RECORD=1", "[recorder]") {
  record = "true";
  for (auto reply : {recorder->start({}), recorder->pause(PauseOrigin::kManual), recorder->resume(),
                     recorder->stop()}) {
    CHECK(reply.http_status == 400);
    CHECK(reply.body["detail"] == "Recording is disabled by configuration.");
  }
  CHECK(recorder->derived_status() == "disabled");
}

TEST_CASE_METHOD(RecorderFixture, "Recorder pause when already paused converges", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  REQUIRE(status_of(recorder->pause(PauseOrigin::kManual)) == "paused");

  const auto reply = recorder->pause(PauseOrigin::kManual);

  CHECK(reply.body["status"] == "already_paused");
  CHECK(reply.body["action"] == "pause");
  CHECK(reply.body["result"] == "converged");
  CHECK(reply.body["converged"] == true);
}

TEST_CASE_METHOD(RecorderFixture, "Recorder resume from paused converges", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  REQUIRE(status_of(recorder->pause(PauseOrigin::kManual)) == "paused");
  CHECK(recorder->manual_pause_locked());

  const auto reply = recorder->resume();

  CHECK(reply.body["status"] == "resumed");
  CHECK(reply.body["action"] == "resume");
  CHECK(reply.body["result"] == "converged");
  CHECK(reply.body["converged"] == true);
  CHECK_FALSE(recorder->manual_pause_locked());
  CHECK(status_of(recorder->resume()) == "already_recording");
}

TEST_CASE_METHOD(RecorderFixture, "Recorder unsettled resume is accepted", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  REQUIRE(status_of(recorder->pause(PauseOrigin::kManual)) == "paused");
  display.resume_gate.close();

  const auto reply = recorder->resume();

  CHECK(reply.body["status"] == "resume_requested");
  CHECK(reply.body["result"] == "accepted");
  CHECK(reply.body["converged"] == false);
  CHECK(reply.body["warning"] == "Resume requested; recorder state convergence pending.");
  CHECK(reply.body["recording_timeline_id"].get<std::string>().rfind("timeline-", 0) == 0);
}

TEST_CASE_METHOD(RecorderFixture, "Recorder stop still finalizing is accepted", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  display.finalize_gate.close();

  const auto reply = recorder->stop();

  CHECK(reply.body["status"] == "stop_requested");
  CHECK(reply.body["result"] == "accepted");
  CHECK(reply.body["converged"] == false);
  CHECK(reply.body["warning"] == "Recorder stop requested; finalization still in progress.");
  CHECK(reply.body["recording_timeline_id"].get<std::string>().rfind("timeline-", 0) == 0);
  CHECK(recorder->derived_status() == "stopping");

  display.finalize_gate.release();
  REQUIRE(winebot::test::run_until(io, [&] { return recorder->state() == RecorderState::kIdle; }));
  CHECK(status_of(recorder->stop()) == "already_stopped");
}

TEST_CASE_METHOD(RecorderFixture, "Recorder stop timing out warns", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  display.finish_gate.close();

  const auto reply = recorder->stop();

  CHECK(reply.body["status"] == "stop_requested");
  CHECK(reply.body["converged"] == false);
  CHECK(reply.body["warning"].get<std::string>().find("timed out") != std::string::npos);
  display.finish_gate.release();
  REQUIRE(winebot::test::run_until(io, [&] { return recorder->state() == RecorderState::kIdle; }));
}

TEST_CASE_METHOD(RecorderFixture, "Recorder stop when idle", "[recorder]") {
  const auto reply = recorder->stop();

  CHECK(reply.body["status"] == "already_stopped");
  CHECK(reply.body["result"] == "converged");
  CHECK(reply.body["converged"] == true);
  CHECK(reply.body["operation_id"].get<std::string>().size() == 15);
}

TEST_CASE_METHOD(RecorderFixture, "Recorder stop recovers a vanished recorder", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  const auto session_dir = recorder->health_json()["session_dir"].get<std::string>();
  REQUIRE(status_of(recorder->stop()) == "stopped");
  // Pretend a recorder process died while recording segment 1.
  std::ofstream(session_dir + "/segment.current") << "1";
  std::ofstream(session_dir + "/recorder.pid") << "999999999";

  const auto reply = recorder->stop();

  CHECK(reply.body["status"] == "already_stopped");
  // The fake writes no video, so recovery stops at the mux step and its marker stays behind.
  REQUIRE(winebot::test::run_until(io, [&] {
    const auto marker =
        winebot::node::SessionFolder(session_dir).read_text("recorder.finalization.json");
    return marker && marker->find("process_lookup_error") != std::string::npos;
  }));
}

TEST_CASE_METHOD(RecorderFixture, "Recorder start reports segment and files", "[recorder]") {
  const auto reply = recorder->start({"label me", std::nullopt, ":42", std::nullopt, 12, false});

  REQUIRE(reply.http_status == 200);
  const auto& body = reply.body;
  CHECK(body["status"] == "started");
  CHECK(body["segment"] == 1);
  CHECK(body["display"] == ":42");
  CHECK(body["fps"] == 12);
  CHECK(body["resolution"] == "1280x720");
  CHECK(body["operation_id"].get<std::string>().rfind("op-", 0) == 0);
  const std::string session_dir = body["session_dir"];
  CHECK(body["session_id"].get<std::string>().size() > 8);
  CHECK(session_dir.find("-label-me") != std::string::npos);
  CHECK(std::filesystem::exists(session_dir + "/segment_001.json"));
  CHECK(std::filesystem::exists(session_dir + "/session.json"));
  CHECK(winebot::node::SessionFolder(session_dir).read_text("recorder.state") == "recording");
  CHECK(status_of(recorder->start({})) == "already_recording");

  REQUIRE(status_of(recorder->stop()) == "stopped");
  const auto second = recorder->start({});
  CHECK(second.body["session_dir"] == session_dir);
  CHECK(second.body["segment"] == 2);
}

TEST_CASE_METHOD(RecorderFixture, "Recorder start reports open failure", "[recorder]") {
  display.open_error = {CaptureFailure::kDisplayUnavailable, "cannot open X display :9"};

  const auto reply = recorder->start({});

  CHECK(reply.http_status == 500);
  CHECK(reply.body["detail"] == "Recording did not start: cannot open X display :9");
  CHECK(recorder->state() == RecorderState::kIdle);
  CHECK(recorder->state_json()["last_error"] == "cannot open X display :9");
}

TEST_CASE_METHOD(RecorderFixture, "Recorder resize starts a new segment", "[recorder]") {
  const auto first = recorder->start({});
  REQUIRE(first.http_status == 200);

  display.resize({1024, 768});

  REQUIRE(winebot::test::run_until(io, [&] {
    return recorder->state() == RecorderState::kRecording && recorder->state_json()["segment"] == 2;
  }));
  CHECK(recorder->state_json()["resolution"] == "1024x768");
  CHECK_THAT(recorder->state_json()["last_error"].get<std::string>(), Catch::Contains("1024x768"));
  const std::string session_dir = first.body["session_dir"];
  bool logged = false;
  std::ifstream lifecycle(session_dir + "/logs/lifecycle.jsonl");
  for (std::string line; std::getline(lifecycle, line);) {
    logged = logged || line.find("display_resized") != std::string::npos;
  }
  CHECK(logged);
}

TEST_CASE_METHOD(RecorderFixture, "Recorder pause when idle reports idle", "[recorder]") {
  CHECK(status_of(recorder->pause(PauseOrigin::kManual)) == "idle");
  CHECK(status_of(recorder->resume()) == "idle");
}

TEST_CASE_METHOD(RecorderFixture, "Recorder automatic pause skips manual lock", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");

  REQUIRE(status_of(recorder->pause(PauseOrigin::kAutomatic)) == "paused");
  CHECK_FALSE(recorder->manual_pause_locked());

  // A manual pause of an automatically paused recorder still sets the lock.
  CHECK(status_of(recorder->pause(PauseOrigin::kManual)) == "already_paused");
  CHECK(recorder->manual_pause_locked());
}

TEST_CASE_METHOD(RecorderFixture, "Recorder shutdown finalises before calling back", "[recorder]") {
  REQUIRE(status_of(recorder->start({})) == "started");
  bool done = false;

  recorder->shutdown([&] { done = true; });

  REQUIRE(winebot::test::run_until(io, [&] { return done; }));
  CHECK(recorder->state() == RecorderState::kIdle);
}

TEST_CASE_METHOD(RecorderFixture, "Recorder refuses start after shutdown", "[recorder]") {
  bool done = false;
  recorder->shutdown([&] { done = true; });
  REQUIRE(winebot::test::run_until(io, [&] { return done; }));

  const auto reply = recorder->start({});

  CHECK(reply.http_status == 503);
  CHECK_THAT(reply.body["detail"].get<std::string>(), Catch::Contains("stopping"));
  CHECK(recorder->state() == RecorderState::kIdle);
}

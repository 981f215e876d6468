#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "node/recorder/artifact_manifest.hpp"
#include "node/recorder/capture_backend.hpp"
#include "node/recorder/recorder_heartbeat.hpp"
#include "node/recorder/recorder_settings.hpp"
#include "node/recorder/recorder_state.hpp"
#include "node/recorder/segment_recovery.hpp"
#include "node/recorder/segment_worker.hpp"
#include "node/recorder/session_folder.hpp"
#include "node/session/active_session.hpp"
#include "shared/config/option_parser.hpp"
#include "shared/jsonl/jsonl_appender.hpp"

namespace winebot::node {

// The optional body of POST /recording/start, already validated.
struct StartRequest {
  std::string session_label;
  std::optional<std::filesystem::path> session_root;
  std::optional<std::string> display;
  std::optional<Resolution> resolution;
  std::optional<int> fps;
  bool new_session = false;
};

// Origin of a pause request. A manual pause sets the manual pause lock, which keeps the idle
// pauser from resuming on its own.
enum class PauseOrigin { kManual, kAutomatic };

// An HTTP status and the JSON body for it: the recording action envelope, or {"detail": ...}.
struct RecordingReply {
  int http_status = 200;
  nlohmann::ordered_json body;
};

// Makes the capture backend of each new segment; tests substitute a fake.
using CaptureBackendFactory = std::function<std::unique_ptr<CaptureBackend>()>;

// The node's screen recorder: sessions, segments, the recording actions of WineBot's contract,
// and the recorder state that /health/recording, /state and the TXT record report.
//
// Threading: every public method runs on the io_context thread, which owns all members. Each
// segment's capture and finalisation run on that segment's SegmentWorker thread; the worker
// reports its end by posting to the io_context. The actions wait for the worker with short
// deadlines (a pause or resume takes effect within one frame interval), so a request handler is
// held at most for the configured control, stop-command and sync-wait times. Recovery of old
// segments runs on a thread of its own.
//
// Limitation: the shared Router only has synchronous handlers, so those waits block the
// io_context thread. In the normal case they last one frame interval (pause, resume) or the
// time to write the trailer and mux the subtitles (stop). A wedged capture thread blocks the
// io_context thread for up to stop_command_timeout plus stop_sync_wait. An asynchronous handler in
// the Router would lift this.
class Recorder {
 public:
  Recorder(boost::asio::io_context& io, RecorderSettings settings, ActiveSession& session,
           shared::EnvLookup env, CaptureBackendFactory backends = {});
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  RecordingReply start(const StartRequest& request);
  RecordingReply pause(PauseOrigin origin);
  RecordingReply resume();
  RecordingReply stop();
  // Finishes an interrupted segment of `session_dir`, or of the active session when it is empty
  // (POST /recording/recover).
  RecordingReply recover(const std::filesystem::path& session_dir = {});

  // Stops and finalises any recording, then calls `done` on the io_context thread. For SIGTERM.
  // From then on start returns 503.
  void shutdown(std::function<void()> done);
  // Finishes, in the background, interrupted segments of the active session and of every
  // session folder under the session root. For start-up.
  void recover_interrupted_sessions();

  RecorderState state() const { return state_; }
  // WineBot's derived status: disabled, idle, recording, paused, stopping or stalled.
  std::string derived_status();
  bool manual_pause_locked() const;

  nlohmann::json health_json();            // GET /health/recording
  nlohmann::json recording_health_json();  // GET /recording/health
  nlohmann::json state_json();             // the "recorder" object of GET /state
  std::string metrics_text();              // Prometheus text for GET /metrics

  // Adds a callback run on the io_context thread after every state, session or manual pause
  // lock change (for the TXT record and the idle pauser). A listener must not call the recording
  // actions directly, because it runs inside them: post the work instead.
  void add_change_listener(std::function<void()> listener) {
    change_listeners_.push_back(std::move(listener));
  }

  // Appends a WineBot lifecycle event (`logs/lifecycle.jsonl`) to the active session, if any.
  // `source` names the writer, for example "monitor" for the idle pauser.
  void append_lifecycle_event(const std::string& kind, const std::string& message,
                              const nlohmann::json& extra, const std::string& source);
  // The active session's folder: the recording segment's, else the one the pointer file names.
  std::optional<std::filesystem::path> active_session_dir() const;

 private:
  struct Segment {
    SessionFolder folder;
    int number = 0;
    std::string session_id;
    std::string timeline_id;
    CapturePlan plan;
    std::unique_ptr<SegmentWorker> worker;
    std::chrono::steady_clock::time_point started_steady;
    bool ended = false;
  };
  struct Totals {
    std::uint64_t frames = 0;
    std::uint64_t dropped = 0;
    std::uint64_t bytes = 0;
    std::uint64_t segments = 0;
    std::int64_t recorded_ms = 0;
    std::int64_t paused_ms = 0;
    std::map<std::string, std::uint64_t> failures;
  };

  RecordingReply disabled_reply() const;
  RecordingReply begin_segment(const StartRequest& request);
  RecordingReply start_failed(const SessionFolder& folder, int number, const CaptureError& error);
  RecordingReply stop_without_recorder();
  RecordingReply stop_reply(std::chrono::steady_clock::time_point closed_at);
  RecordingReply recovery_reply(const SessionFolder& folder);
  std::optional<SessionFolder> choose_session(const StartRequest& request, std::string& error);
  CapturePlan plan_for(const StartRequest& request) const;
  void write_segment_files(const Segment& segment);
  void finish_segment(const SegmentEnd& end, std::uint64_t generation);
  void record_end_errors(const Segment& segment, const SegmentEnd& end);
  bool launch_recovery(std::vector<SessionFolder> folders, const std::string& reason);

  nlohmann::ordered_json envelope(const std::string& action, const std::string& status,
                                  bool converged) const;
  nlohmann::ordered_json start_envelope(const std::string& status) const;
  void set_state(RecorderState state);
  void write_state_file(const SessionFolder& folder, const char* value);
  void set_manual_lock(bool locked);
  void notify_change();
  void lifecycle(const SessionFolder& folder, const std::string& kind, const std::string& message,
                 nlohmann::json extra = nlohmann::json::object(),
                 const std::string& source = "recorder");
  void submit_manifest(const SessionFolder& folder, const std::string& action);
  void run_retention(const SessionFolder& folder);
  std::map<std::string, std::string> config_snapshot() const;
  std::optional<SessionFolder> active_folder() const;

  boost::asio::io_context& io_;
  const RecorderSettings settings_;
  ActiveSession& session_;
  shared::EnvLookup env_;
  CaptureBackendFactory backends_;

  RecorderState state_ = RecorderState::kIdle;
  std::unique_ptr<Segment> segment_;
  std::uint64_t generation_ = 0;  // distinguishes a late end report from the current segment's
  // Expires when the Recorder is destroyed, so end reports still queued on the io_context do
  // not touch it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<StartRequest> last_request_;
  std::string last_error_;
  std::string last_timeline_id_;
  bool manual_lock_ = false;
  bool shutting_down_ = false;  // set by shutdown(): start is refused from then on
  std::vector<std::function<void()>> shutdown_waiters_;
  std::vector<std::function<void()>> change_listeners_;
  RecorderHeartbeat heartbeat_;
  Totals totals_;
  std::map<std::filesystem::path, std::unique_ptr<shared::JsonlAppender>> lifecycle_logs_;
  ArtifactManifestWriter manifests_;

  std::thread recovery_thread_;
  std::future<std::vector<RecoveryResult>> recovery_;
};

}  // namespace winebot::node

#include "node/recorder/recorder.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <random>
#include <sstream>

#include "node/recorder/capture_pipeline.hpp"
#include "node/recorder/retention.hpp"
#include "shared/log/logger.hpp"
#include "shared/util/files.hpp"

namespace winebot::node {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using nlohmann::ordered_json;

// Opening the display, libx264 and the output file takes tens of milliseconds, so this bound only
// matters for a display that accepts the connection and then hangs.
constexpr std::chrono::seconds kStartTimeout{10};

constexpr const char* kDisabledDetail = "Recording is disabled by configuration.";

std::string operation_id() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id = "op-";
  for (int index = 0; index < 12; ++index) {
    id += "0123456789abcdef"[digit(generator)];
  }
  return id;
}

RecordingReply error_reply(int status, const std::string& detail) {
  return {status, ordered_json{{"detail", detail}}};
}

double seconds_of(std::int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

std::string segment_file_name(const std::filesystem::path& path) {
  return path.filename().string();
}

}  // namespace

const char* recorder_state_name(RecorderState state) {
  switch (state) {
    case RecorderState::kIdle:
      return "idle";
    case RecorderState::kRecording:
      return "recording";
    case RecorderState::kPaused:
      return "paused";
    case RecorderState::kStopping:
      return "stopping";
  }
  return "idle";
}

Recorder::Recorder(boost::asio::io_context& io, RecorderSettings settings, ActiveSession& session,
                   shared::EnvLookup env, CaptureBackendFactory backends)
    : io_(io),
      settings_(std::move(settings)),
      session_(session),
      env_(std::move(env)),
      backends_(std::move(backends)),
      heartbeat_(settings_.heartbeat_stale, settings_.heartbeat_grace) {
  if (!backends_) {
    backends_ = [] { return std::make_unique<CapturePipeline>(); };
  }
}

Recorder::~Recorder() {
  alive_.reset();    // end reports posted from now on are dropped
  segment_.reset();  // stops, finalises and joins the capture thread
  if (recovery_thread_.joinable()) {
    recovery_thread_.join();
  }
}

// ---- actions --------------------------------------------------------------------------------

RecordingReply Recorder::start(const StartRequest& request) {
  if (!recording_enabled(env_)) {
    return disabled_reply();
  }
  if (shutting_down_) {
    // A segment started now would outlive the node: the process exits after the grace period.
    return error_reply(503, "The node is stopping; start the recording after it restarts.");
  }
  if (segment_ && state_ == RecorderState::kPaused) {
    const auto ack = segment_->worker->resume(settings_.control_wait);
    if (ack != SegmentWorker::Ack::kApplied && ack != SegmentWorker::Ack::kAlready) {
      return error_reply(500, "Failed to resume recorder");
    }
    set_manual_lock(false);
    set_state(RecorderState::kRecording);
    lifecycle(segment_->folder, "recording_resumed", "Recording resumed by start");
    return {200, start_envelope("resumed")};
  }
  if (segment_ && state_ == RecorderState::kRecording) {
    return {200, start_envelope("already_recording")};
  }
  if (segment_) {
    return error_reply(409,
                       "Recorder is still finalizing the previous segment; retry when "
                       "/health/recording reports idle.");
  }
  return begin_segment(request);
}

RecordingReply Recorder::pause(PauseOrigin origin) {
  if (!recording_enabled(env_)) {
    return disabled_reply();
  }
  if (!segment_ || state_ == RecorderState::kIdle || state_ == RecorderState::kStopping) {
    // WineBot replies already_paused for a stopped recorder, but idle is the true state.
    return {200, envelope("pause", "idle", true)};
  }
  if (origin == PauseOrigin::kManual) {
    set_manual_lock(true);  // also after an automatic pause, so the idle pauser leaves it alone
  }
  if (state_ == RecorderState::kPaused) {
    return {200, envelope("pause", "already_paused", true)};
  }

  const auto ack = segment_->worker->pause(settings_.control_wait);
  if (ack == SegmentWorker::Ack::kTimedOut) {
    set_manual_lock(false);
    return error_reply(504, "Recorder did not enter paused state before timeout");
  }
  if (ack == SegmentWorker::Ack::kEnded) {
    set_manual_lock(false);
    return {200, envelope("pause", "idle", true)};
  }
  set_state(RecorderState::kPaused);
  lifecycle(segment_->folder, "recording_paused",
            origin == PauseOrigin::kManual ? "Recording paused" : "Recording paused automatically");
  return {200, envelope("pause", "paused", true)};
}

RecordingReply Recorder::resume() {
  if (!recording_enabled(env_)) {
    return disabled_reply();
  }
  if (!segment_ || state_ == RecorderState::kIdle || state_ == RecorderState::kStopping) {
    return {200, envelope("resume", "idle", true)};
  }
  if (state_ != RecorderState::kPaused) {
    return {200, envelope("resume", "already_recording", true)};
  }

  set_manual_lock(false);
  const auto ack = segment_->worker->resume(settings_.control_wait);
  if (ack == SegmentWorker::Ack::kTimedOut) {
    auto body = envelope("resume", "resume_requested", false);
    body["warning"] = "Resume requested; recorder state convergence pending.";
    return {200, body};
  }
  if (ack == SegmentWorker::Ack::kEnded) {
    return {200, envelope("resume", "idle", true)};
  }
  set_state(RecorderState::kRecording);
  lifecycle(segment_->folder, "recording_resumed", "Recording resumed");
  return {200, envelope("resume", "resumed", true)};
}

RecordingReply Recorder::stop() {
  if (!recording_enabled(env_)) {
    return disabled_reply();
  }
  if (!segment_) {
    return stop_without_recorder();
  }
  if (state_ != RecorderState::kStopping) {
    set_state(RecorderState::kStopping);
    segment_->worker->request_stop();
  }
  const auto deadline = Clock::now() + settings_.stop_command_timeout;
  if (!segment_->worker->wait_closed(deadline)) {
    auto body = envelope("stop", "stop_requested", false);
    body["operation_id"] = operation_id();
    body["warning"] = "Recorder did not close the video within " +
                      std::to_string(settings_.stop_command_timeout.count() / 1000) +
                      " s (command timed out); finalization continues in the background.";
    submit_manifest(segment_->folder, "stop_requested");
    return {200, body};
  }
  return stop_reply(Clock::now());
}

RecordingReply Recorder::stop_without_recorder() {
  auto body = envelope("stop", "already_stopped", true);
  body["operation_id"] = operation_id();
  const auto folder = active_folder();
  if (!folder || !folder->exists()) {
    return {200, body};
  }
  // A recorder that died left its segment unfinished: finish it, as WineBot's stop command does
  // when the recorder process has vanished.
  if (find_interrupted_segment(*folder) && launch_recovery({*folder}, "process_lookup_error")) {
    body["warning"] = "Finishing the interrupted segment in the background.";
  }
  write_state_file(*folder, "idle");
  run_retention(*folder);
  set_manual_lock(false);
  return {200, body};
}

RecordingReply Recorder::stop_reply(Clock::time_point closed_at) {
  auto body = envelope("stop", "stopped", true);
  body["operation_id"] = operation_id();
  if (!segment_->worker->wait_done(closed_at + settings_.stop_sync_wait)) {
    body = envelope("stop", "stop_requested", false);
    body["operation_id"] = operation_id();
    body["warning"] = "Recorder stop requested; finalization still in progress.";
    submit_manifest(segment_->folder, "stop_requested");
    return {200, body};
  }
  const SegmentEnd end = segment_->worker->end_report();
  finish_segment(end, generation_);
  if (!end.finalize.ok) {
    body["warning"] = "Finalization failed: " + end.finalize.error +
                      ". The video plays without subtitle tracks; POST /recording/recover "
                      "retries.";
  }
  return {200, body};
}

RecordingReply Recorder::recover(const std::filesystem::path& session_dir) {
  const auto folder = session_dir.empty()
                          ? active_folder()
                          : std::optional<SessionFolder>(SessionFolder(session_dir));
  if (!folder) {
    return error_reply(404, "No active session to recover");
  }
  if (!folder->exists()) {
    return error_reply(404, "Session directory not found: " + folder->path().string());
  }
  if (segment_ && segment_->folder.path() == folder->path()) {
    return error_reply(409, "Recorder is running in this session; stop it before recovering");
  }
  if (!launch_recovery({*folder}, "manual_recover")) {
    return error_reply(409, "A recovery is already running");
  }
  return recovery_reply(*folder);
}

RecordingReply Recorder::recovery_reply(const SessionFolder& folder) {
  ordered_json body{{"action", "recover"}, {"session_dir", folder.path().string()}};
  if (recovery_.wait_for(settings_.stop_sync_wait) != std::future_status::ready) {
    body["status"] = "recover_requested";
    body["result"] = "accepted";
    body["converged"] = false;
    body["warning"] = "Recovery still in progress.";
    return {200, body};
  }
  const auto results = recovery_.get();
  const auto& result = results.front();

  body["status"] = recovery_status_name(result.status);
  body["result"] = "converged";
  body["converged"] = true;
  if (result.segment > 0) {
    body["segment"] = result.segment;
  }
  if (!result.detail.empty()) {
    body["warning"] = result.detail;
  }
  if (result.status == RecoveryStatus::kRecovered) {
    write_state_file(folder, "idle");
    lifecycle(folder, "recording_recovered", "Interrupted segment finalized",
              {{"segment", result.segment}});
  }
  const int status = result.status == RecoveryStatus::kFailed ? 500 : 200;
  return {status, body};
}

// ---- segment life -----------------------------------------------------------------------------

RecordingReply Recorder::begin_segment(const StartRequest& request) {
  std::string error;
  auto folder = choose_session(request, error);
  if (!folder) {
    last_error_ = error;
    return error_reply(500, error);
  }
  const auto plan = plan_for(request);
  const auto now = std::chrono::system_clock::now();
  std::string timeline;
  int number = 0;
  try {
    // An empty resolution means the display's size, which is known once capture starts.
    timeline = folder->ensure_manifest(
        {settings_.hostname, plan.display, plan.resolution.empty() ? "" : plan.resolution.text(),
         plan.fps, settings_.git_sha},
        now);
    folder->write_text(kSessionStateFile, "active");
    folder->write_text("session.mode", settings_.session_mode);
    folder->write_text("session.control_mode", settings_.control_mode);
    shared::write_file_atomically(settings_.pointer_file, folder->path().string());
    number = folder->allocate_segment();
  } catch (const std::exception& failure) {
    last_error_ = std::string("Cannot prepare session folder ") + folder->path().string() + ": " +
                  failure.what();
    shared::log_error("recorder.session_failed", {shared::field("error", last_error_)});
    return error_reply(500, last_error_);
  }

  const std::vector<std::pair<std::string, std::string>> tags{
      {"title", folder->id()},
      {"encoder", "WineBot Recorder"},
      {"encoding_tool", "WineBot Recorder"},  // what Matroska stores as its writing application
      {"creation_time", iso_utc(now)},
      {"WINEBOT_SESSION_ID", folder->id()},
      {"WINEBOT_GIT_SHA", settings_.git_sha},
      {"WINEBOT_HOSTNAME", settings_.hostname},
      {"WINEBOT_DISPLAY", plan.display}};
  auto segment = std::make_unique<Segment>(
      Segment{*folder, number, folder->id(), timeline, plan, nullptr, Clock::now(), false});
  const auto generation = ++generation_;
  std::weak_ptr<bool> alive = alive_;
  segment->worker = std::make_unique<SegmentWorker>(
      backends_(), plan, SegmentOutput{folder->video_file(number), tags},
      SegmentIdentity{*folder, number, folder->id(), plan.display, plan.resolution, 0, tags},
      settings_.input_traces, [this, alive, generation](const SegmentEnd& end) {
        boost::asio::post(io_, [this, alive, generation, end] {
          if (alive.lock()) {
            finish_segment(end, generation);
          }
        });
      });

  const auto started = segment->worker->start(kStartTimeout);
  if (!started.ok()) {
    return start_failed(*folder, number, started);
  }
  segment_ = std::move(segment);
  write_segment_files(*segment_);
  try {
    folder->ensure_manifest(
        {settings_.hostname, plan.display, segment_->worker->output_resolution().text(), plan.fps,
         settings_.git_sha},
        now);
  } catch (const std::exception& failure) {
    shared::log_warn("recorder.state_write_failed", {shared::field("session", folder->id()),
                                                     shared::field("error", failure.what())});
  }
  session_.set_recorder_session(folder->path());
  last_request_ = request;
  last_timeline_id_ = timeline;
  last_error_.clear();
  ++totals_.segments;
  set_manual_lock(false);
  set_state(RecorderState::kRecording);
  lifecycle(*folder, "recording_started", "Recording started",
            {{"segment", number}, {"display", plan.display}});
  submit_manifest(*folder, "start");
  shared::log_info("recorder.started",
                   {shared::field("session", folder->id()), shared::field("segment", number),
                    shared::field("display", plan.display),
                    shared::field("resolution", segment_->worker->output_resolution().text()),
                    shared::field("fps", plan.fps)});
  return {200, start_envelope("started")};
}

RecordingReply Recorder::start_failed(const SessionFolder& folder, int number,
                                      const CaptureError& error) {
  last_error_ = error.message;
  ++totals_.failures[capture_failure_name(error.failure)];
  session_.set_recorder_session(folder.path());
  lifecycle(folder, "recording_failed", "Recording did not start: " + error.message,
            {{"reason", capture_failure_name(error.failure)}, {"segment", number}});
  shared::log_error("recorder.start_failed",
                    {shared::field("session", folder.id()), shared::field("segment", number),
                     shared::field("reason", capture_failure_name(error.failure)),
                     shared::field("error", error.message)});
  write_state_file(folder, "idle");
  return error_reply(500, "Recording did not start: " + error.message);
}

std::optional<SessionFolder> Recorder::choose_session(const StartRequest& request,
                                                      std::string& error) {
  if (!request.new_session) {
    if (const auto active = active_folder();
        active && active->exists() && std::filesystem::exists(active->file("session.json"))) {
      const bool completed_oneshot = settings_.session_mode == "oneshot" &&
                                     active->read_text(kSessionStateFile) == "completed";
      if (!completed_oneshot) {
        return active;
      }
    }
  }
  const auto root = request.session_root.value_or(settings_.session_root);
  try {
    std::filesystem::create_directories(root);
    return SessionFolder::create(root, request.session_label, std::chrono::system_clock::now());
  } catch (const std::exception& failure) {
    error = "Cannot create a session folder under " + root.string() + ": " + failure.what();
    shared::log_error("recorder.session_failed", {shared::field("error", error)});
    return std::nullopt;
  }
}

CapturePlan Recorder::plan_for(const StartRequest& request) const {
  CapturePlan plan;
  plan.display = request.display.value_or(settings_.default_display);
  plan.resolution = request.resolution.value_or(settings_.default_resolution);
  plan.fps = request.fps.value_or(settings_.default_fps);
  plan.encoder = settings_.encoder;
  return plan;
}

void Recorder::write_segment_files(const Segment& segment) {
  const auto& folder = segment.folder;
  const auto started = segment.worker->started_at();
  const ordered_json manifest{
      {"schema_version", "1.0"},
      {"session_id", segment.session_id},
      {"recording_timeline_id", segment.timeline_id},
      {"segment", segment.number},
      {"start_time_epoch", static_cast<double>(epoch_ms(started))},
      {"start_time_iso", iso_utc(started)},
      {"hostname", settings_.hostname},
      {"display", segment.plan.display},
      {"resolution", segment.worker->output_resolution().text()},
      {"fps", segment.plan.fps},
      {"git_sha", settings_.git_sha.empty() ? json(nullptr) : json(settings_.git_sha)}};
  try {
    folder.write_text(segment_file_name(folder.segment_manifest_file(segment.number)),
                      manifest.dump());
    folder.write_text(kRecorderPidFile, std::to_string(::getpid()));
    folder.write_text(kSegmentCurrentFile, std::to_string(segment.number));
    folder.write_text(kEventsCurrentFile, folder.events_file(segment.number).string());
  } catch (const std::exception& failure) {
    shared::log_warn("recorder.state_write_failed", {shared::field("session", folder.id()),
                                                     shared::field("error", failure.what())});
  }
}

// Runs on the io_context thread, from the worker's posted end report or from stop().
void Recorder::finish_segment(const SegmentEnd& end, std::uint64_t generation) {
  if (generation != generation_ || !segment_) {
    return;  // already handled, or a report from a segment that never started
  }
  auto segment = std::move(segment_);
  segment->worker.reset();  // the thread has finished its work; this joins it

  totals_.frames += end.stats.frames;
  totals_.dropped += end.stats.dropped;
  totals_.bytes += end.stats.bytes;
  totals_.recorded_ms += end.stats.recorded_ms;
  totals_.paused_ms += end.stats.paused_ms;
  record_end_errors(*segment, end);

  write_state_file(segment->folder, "idle");
  set_manual_lock(false);
  run_retention(segment->folder);
  submit_manifest(segment->folder, end.finalize.ok ? "stop" : "stop_reconciled");
  lifecycle(segment->folder, "recording_stopped", "Recording stopped",
            {{"segment", segment->number},
             {"reason", end.capture.ok() ? "stop" : capture_failure_name(end.capture.failure)},
             {"recorded_ms", end.stats.recorded_ms},
             {"paused_ms", end.stats.paused_ms}});
  shared::log_info(
      "recorder.stopped",
      {shared::field("session", segment->session_id), shared::field("segment", segment->number),
       shared::field("frames", static_cast<long long>(end.stats.frames)),
       shared::field("dropped", static_cast<long long>(end.stats.dropped)),
       shared::field("recorded_ms", static_cast<long long>(end.stats.recorded_ms))});
  set_state(RecorderState::kIdle);

  // A resolution change ends the segment; recording goes on in a new one at the new size.
  const bool restart = end.capture.failure == CaptureFailure::kDisplayResized &&
                       shutdown_waiters_.empty() && last_request_;
  if (restart) {
    auto request = *last_request_;
    request.new_session = false;
    const auto resize_message = last_error_;
    begin_segment(request);
    if (segment_) {
      last_error_ = resize_message;  // /state keeps showing why the segment changed
    }
  }
  if (!segment_) {
    for (auto& waiter : std::exchange(shutdown_waiters_, {})) {
      boost::asio::post(io_, waiter);
    }
  }
}

void Recorder::record_end_errors(const Segment& segment, const SegmentEnd& end) {
  if (!end.capture.ok()) {
    const auto* reason = capture_failure_name(end.capture.failure);
    ++totals_.failures[reason];
    last_error_ = end.capture.message;
    lifecycle(segment.folder, "recording_failed", "Recording ended: " + end.capture.message,
              {{"reason", reason}, {"segment", segment.number}});
    shared::log_error(
        "recorder.capture_failed",
        {shared::field("session", segment.session_id), shared::field("segment", segment.number),
         shared::field("reason", reason), shared::field("error", end.capture.message)});
  }
  if (!end.finalize.ok) {
    ++totals_.failures["finalize_failed"];
    const auto finalize_error = "finalization failed: " + end.finalize.error;
    last_error_ = end.capture.ok() ? finalize_error : last_error_ + "; " + finalize_error;
    lifecycle(segment.folder, "finalization_failed", finalize_error, {{"segment", segment.number}});
    shared::log_error("recorder.finalize_failed", {shared::field("session", segment.session_id),
                                                   shared::field("segment", segment.number),
                                                   shared::field("error", end.finalize.error)});
  }
}

void Recorder::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  if (!segment_) {
    boost::asio::post(io_, std::move(done));
    return;
  }
  shutdown_waiters_.push_back(std::move(done));
  if (state_ != RecorderState::kStopping) {
    set_state(RecorderState::kStopping);
    write_state_file(segment_->folder, "stopping");
    segment_->worker->request_stop();
  }
}

bool Recorder::launch_recovery(std::vector<SessionFolder> folders, const std::string& reason) {
  if (recovery_thread_.joinable()) {
    if (recovery_.valid() &&
        recovery_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      return false;
    }
    recovery_thread_.join();
  }
  std::packaged_task<std::vector<RecoveryResult>()> task(
      [folders = std::move(folders), reason, traces = settings_.input_traces] {
        std::vector<RecoveryResult> results;
        for (const auto& folder : folders) {
          auto result = recover_segment(folder, reason, traces, ::getpid());
          shared::log_info(
              "recorder.recovery",
              {shared::field("session", folder.id()),
               shared::field("status", recovery_status_name(result.status)),
               shared::field("segment", result.segment), shared::field("detail", result.detail)});
          results.push_back(std::move(result));
        }
        return results;
      });
  recovery_ = task.get_future();
  recovery_thread_ = std::thread(std::move(task));
  return true;
}

void Recorder::recover_interrupted_sessions() {
  auto folders = find_interrupted_sessions(settings_.session_root);
  if (const auto active = active_folder(); active && find_interrupted_segment(*active)) {
    const bool listed = std::any_of(folders.begin(), folders.end(), [&](const auto& folder) {
      return folder.path() == active->path();
    });
    if (!listed) {
      folders.push_back(*active);
    }
  }
  if (!folders.empty()) {
    launch_recovery(std::move(folders), "startup");
  }
}

// ---- state and reports ------------------------------------------------------------------------

std::string Recorder::derived_status() {
  if (!recording_enabled(env_)) {
    return "disabled";
  }
  if (!segment_) {
    return "idle";
  }
  if (state_ == RecorderState::kRecording) {
    const auto stats = segment_->worker->stats();
    const bool alive = heartbeat_.healthy(segment_->folder.video_file(segment_->number),
                                          stats.bytes, segment_->started_steady, Clock::now());
    return alive ? "recording" : "stalled";
  }
  return recorder_state_name(state_);
}

bool Recorder::manual_pause_locked() const {
  if (manual_lock_) {
    return true;
  }
  const auto folder = active_folder();
  std::error_code error;  // an unreadable folder counts as unlocked, never as an exception
  return folder && std::filesystem::exists(folder->file(kManualPauseLockFile), error);
}

json Recorder::health_json() {
  const auto folder = active_folder();
  const bool running = segment_ != nullptr;
  return {{"enabled", recording_enabled(env_)},
          {"session_dir", folder ? json(folder->path().string()) : json(nullptr)},
          {"session_dir_exists", folder && folder->exists()},
          {"recorder_running", running},
          {"recorder_pids", running ? json::array({std::to_string(::getpid())}) : json::array()},
          {"state", derived_status()}};
}

json Recorder::recording_health_json() {
  if (!recording_enabled(env_)) {
    return {{"status", "disabled"}, {"running", false}, {"message", kDisabledDetail}};
  }
  const auto folder = active_folder();
  if (!folder) {
    return {{"status", "idle"}, {"running", false}, {"message", "No active session"}};
  }
  json health{{"status", derived_status()},
              {"running", segment_ != nullptr},
              {"pid", segment_ ? json(::getpid()) : json(nullptr)},
              {"uptime_s", nullptr},
              {"session_dir", folder->path().string()},
              {"video", nullptr}};
  if (segment_ && segment_->worker) {
    const auto stats = segment_->worker->stats();
    const auto video = segment_->folder.video_file(segment_->number);
    health["uptime_s"] =
        std::chrono::duration<double>(Clock::now() - segment_->started_steady).count();
    health["video"] = {{"video_path", video.string()},
                       {"size_bytes", stats.bytes},
                       {"duration_s", seconds_of(stats.recorded_ms)},
                       {"estimated_frames", stats.frames}};
  }
  return health;
}

json Recorder::state_json() {
  const auto folder = active_folder();
  json state{{"state", derived_status()},
             {"session_id", folder ? json(folder->id()) : json(nullptr)},
             {"segment", segment_ ? json(segment_->number) : json(nullptr)},
             {"manual_pause_lock", manual_pause_locked()},
             {"last_error", last_error_.empty() ? json(nullptr) : json(last_error_)},
             {"frames", totals_.frames},
             {"dropped_frames", totals_.dropped},
             {"bytes", totals_.bytes},
             {"recorded_seconds", seconds_of(totals_.recorded_ms)},
             {"paused_seconds", seconds_of(totals_.paused_ms)}};
  if (segment_ && segment_->worker) {
    const auto stats = segment_->worker->stats();
    state["frames"] = totals_.frames + stats.frames;
    state["dropped_frames"] = totals_.dropped + stats.dropped;
    state["bytes"] = totals_.bytes + stats.bytes;
    state["recorded_seconds"] = seconds_of(totals_.recorded_ms + stats.recorded_ms);
    state["paused_seconds"] = seconds_of(totals_.paused_ms + stats.paused_ms);
    state["display"] = segment_->plan.display;
    state["resolution"] = segment_->worker->output_resolution().text();
    state["fps"] = segment_->plan.fps;
  }
  return state;
}

std::string Recorder::metrics_text() {
  auto current = segment_ && segment_->worker ? segment_->worker->stats() : SegmentStats{};
  std::ostringstream text;
  const auto counter = [&](const char* name, const char* help, auto value) {
    text << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
         << name << ' ' << value << '\n';
  };
  counter("winebot_recorder_frames_total", "Frames encoded into recordings.",
          totals_.frames + current.frames);
  counter("winebot_recorder_dropped_frames_total",
          "Frame slots skipped because capture fell behind.", totals_.dropped + current.dropped);
  counter("winebot_recorder_bytes_total", "Bytes of video written.", totals_.bytes + current.bytes);
  counter("winebot_recorder_segments_total", "Segments started.", totals_.segments);
  counter("winebot_recorder_recorded_seconds_total", "Seconds of video recorded.",
          seconds_of(totals_.recorded_ms + current.recorded_ms));
  counter("winebot_recorder_paused_seconds_total", "Seconds spent paused while recording.",
          seconds_of(totals_.paused_ms + current.paused_ms));

  text << "# HELP winebot_recorder_failures_total Segments that ended or failed to start "
          "because of an error, by reason.\n# TYPE winebot_recorder_failures_total counter\n";
  for (const auto& [reason, count] : totals_.failures) {
    text << "winebot_recorder_failures_total{reason=\"" << reason << "\"} " << count << '\n';
  }
  const auto status = derived_status();
  text << "# HELP winebot_recorder_state Recorder state, 1 for the current one.\n"
          "# TYPE winebot_recorder_state gauge\n";
  for (const char* name : {"disabled", "idle", "recording", "paused", "stopping", "stalled"}) {
    text << "winebot_recorder_state{state=\"" << name << "\"} " << (status == name ? 1 : 0) << '\n';
  }
  return text.str();
}

// ---- helpers ----------------------------------------------------------------------------------

RecordingReply Recorder::disabled_reply() const {
  return error_reply(400, kDisabledDetail);
}

ordered_json Recorder::envelope(const std::string& action, const std::string& status,
                                bool converged) const {
  ordered_json body{{"action", action},
                    {"status", status},
                    {"result", converged ? "converged" : "accepted"},
                    {"converged", converged}};
  const auto folder = segment_ ? std::optional<SessionFolder>(segment_->folder) : active_folder();
  if (folder) {
    const auto manifest = folder->read_manifest();
    if (const auto it = manifest.find("recording_timeline_id");
        it != manifest.end() && it->is_string()) {
      body["recording_timeline_id"] = it->get<std::string>();
    }
    body["session_dir"] = folder->path().string();
  }
  return body;
}

ordered_json Recorder::start_envelope(const std::string& status) const {
  auto body = envelope("start", status, true);
  body["operation_id"] = operation_id();
  const auto& segment = *segment_;
  body["session_id"] = segment.session_id;
  body["segment"] = segment.number;
  body["output_file"] = segment.folder.video_file(segment.number).string();
  body["events_file"] = segment.folder.events_file(segment.number).string();
  body["display"] = segment.plan.display;
  body["resolution"] = segment.worker->output_resolution().text();
  body["fps"] = segment.plan.fps;
  body["recorder_pid"] = ::getpid();
  return body;
}

void Recorder::set_state(RecorderState state) {
  state_ = state;
  if (segment_ && state != RecorderState::kIdle) {
    write_state_file(segment_->folder, recorder_state_name(state));
  }
  notify_change();
}

void Recorder::notify_change() {
  for (const auto& listener : change_listeners_) {
    listener();
  }
}

void Recorder::write_state_file(const SessionFolder& folder, const char* value) {
  try {
    folder.write_text(kRecorderStateFile, value);
  } catch (const std::exception& failure) {
    shared::log_warn("recorder.state_write_failed", {shared::field("session", folder.id()),
                                                     shared::field("error", failure.what())});
  }
}

void Recorder::set_manual_lock(bool locked) {
  const bool changed = manual_lock_ != locked;
  manual_lock_ = locked;
  if (changed) {
    notify_change();  // the idle pauser treats a paused recorder differently under the lock
  }
  const auto folder = segment_ ? std::optional<SessionFolder>(segment_->folder) : active_folder();
  if (!folder || !folder->exists()) {
    return;
  }
  try {
    if (locked) {
      folder->write_text(kManualPauseLockFile, "1");
    } else {
      folder->remove(kManualPauseLockFile);
    }
  } catch (const std::exception& failure) {
    shared::log_warn("recorder.state_write_failed", {shared::field("session", folder->id()),
                                                     shared::field("error", failure.what())});
  }
}

void Recorder::append_lifecycle_event(const std::string& kind, const std::string& message,
                                      const json& extra, const std::string& source) {
  const auto folder = segment_ ? std::optional<SessionFolder>(segment_->folder) : active_folder();
  if (folder) {
    lifecycle(*folder, kind, message, extra, source);
  }
}

std::optional<std::filesystem::path> Recorder::active_session_dir() const {
  const auto folder = segment_ ? std::optional<SessionFolder>(segment_->folder) : active_folder();
  return folder ? std::optional<std::filesystem::path>(folder->path()) : std::nullopt;
}

void Recorder::lifecycle(const SessionFolder& folder, const std::string& kind,
                         const std::string& message, json extra, const std::string& source) {
  const auto path = folder.lifecycle_log();
  auto& log = lifecycle_logs_[path];
  if (!log) {
    log = std::make_unique<shared::JsonlAppender>(path);
  }
  const auto now = std::chrono::system_clock::now();
  ordered_json record{{"schema_version", "1.0"},
                      {"timestamp_utc", iso_utc(now)},
                      {"timestamp_epoch_ms", epoch_ms(now)},
                      {"session_id", folder.id()},
                      {"kind", kind},
                      {"message", message},
                      {"source", source}};
  if (extra.is_object() && !extra.empty()) {
    record["extra"] = extra;
  }
  const auto result = log->append(record.dump(-1, ' ', true, json::error_handler_t::replace));
  if (!result.ok()) {
    shared::log_warn("recorder.lifecycle_write_failed",
                     {shared::field("kind", kind), shared::field("error", result.error)});
  }
}

void Recorder::submit_manifest(const SessionFolder& folder, const std::string& action) {
  manifests_.submit({folder.path(), action, config_snapshot(), settings_.input_traces.include});
}

void Recorder::run_retention(const SessionFolder& folder) {
  const auto result =
      apply_retention(folder.path(), settings_.retention, 0, std::chrono::system_clock::now());
  if (!result.deleted.empty() || !result.errors.empty()) {
    shared::log_info("recorder.retention",
                     {shared::field("session", folder.id()),
                      shared::field("deleted", static_cast<long long>(result.deleted.size())),
                      shared::field("bytes_freed", static_cast<long long>(result.bytes_freed)),
                      shared::field("errors", static_cast<long long>(result.errors.size()))});
  }
}

std::map<std::string, std::string> Recorder::config_snapshot() const {
  const auto flag = [](bool value) { return value ? std::string("true") : std::string("false"); };
  std::string fields;
  for (const auto& field : settings_.input_traces.redact_fields) {
    fields += fields.empty() ? field : "," + field;
  }
  return {{"WINEBOT_RECORD", env_("WINEBOT_RECORD").value_or("0")},
          {"WINEBOT_SESSION_ROOT", settings_.session_root.string()},
          {"WINEBOT_SESSION_MODE", settings_.session_mode},
          {"WINEBOT_SESSION_CONTROL_MODE", settings_.control_mode},
          {"WINEBOT_RECORDING_STOP_SYNC_WAIT_SECONDS",
           std::to_string(settings_.stop_sync_wait.count() / 1000)},
          {"WINEBOT_RECORDING_INCLUDE_INPUT_TRACES", flag(settings_.input_traces.include)},
          {"WINEBOT_RECORDING_REDACT_SENSITIVE", flag(settings_.input_traces.redact)},
          {"WINEBOT_RECORDING_REDACT_FIELDS", fields},
          {"WINEBOT_RECORDING_RETENTION_MAX_SEGMENTS",
           std::to_string(settings_.retention.max_segments)},
          {"WINEBOT_RECORDING_RETENTION_MAX_AGE_DAYS",
           std::to_string(settings_.retention.max_age_days)},
          {"WINEBOT_RECORDING_RETENTION_MAX_BYTES", std::to_string(settings_.retention.max_bytes)}};
}

std::optional<SessionFolder> Recorder::active_folder() const {
  const auto path = session_.current();
  if (!path) {
    return std::nullopt;
  }
  return SessionFolder(*path);
}

}  // namespace winebot::node

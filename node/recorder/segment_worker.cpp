#include "node/recorder/segment_worker.hpp"

#include "node/recorder/recorder_event.hpp"
#include "shared/log/logger.hpp"

namespace winebot::node {
namespace {

using Clock = std::chrono::steady_clock;

// A display that returns no image for this many seconds in a row is taken as lost.
constexpr std::int64_t kNoImageSeconds = 2;

std::int64_t to_ms(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

}  // namespace

SegmentWorker::SegmentWorker(std::unique_ptr<CaptureBackend> backend, CapturePlan plan,
                             SegmentOutput output, SegmentIdentity identity,
                             InputTraceSettings traces, EndHandler on_end)
    : backend_(std::move(backend)),
      plan_(std::move(plan)),
      output_(std::move(output)),
      identity_(std::move(identity)),
      traces_(std::move(traces)),
      on_end_(std::move(on_end)),
      events_(identity_.folder.events_file(identity_.segment)),
      frame_interval_(std::chrono::nanoseconds(1'000'000'000LL / std::max(1, plan_.fps))) {}

SegmentWorker::~SegmentWorker() {
  request_stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

CaptureError SegmentWorker::start(std::chrono::milliseconds timeout) {
  thread_ = std::thread([this] { run(); });
  std::unique_lock lock(mutex_);
  const bool settled =
      changed_.wait_for(lock, timeout, [this] { return phase_ != Phase::kOpening; });
  if (!settled) {
    lock.unlock();
    request_stop();
    return {CaptureFailure::kDisplayUnavailable,
            "capture did not start within " + std::to_string(timeout.count()) + " ms"};
  }
  if (!open_error_.ok()) {
    auto error = open_error_;
    lock.unlock();
    thread_.join();
    return error;
  }
  return {};
}

SegmentWorker::Ack SegmentWorker::pause(std::chrono::milliseconds timeout) {
  return send(Command::kPause, Phase::kPaused, timeout);
}

SegmentWorker::Ack SegmentWorker::resume(std::chrono::milliseconds timeout) {
  return send(Command::kResume, Phase::kRecording, timeout);
}

SegmentWorker::Ack SegmentWorker::send(Command command, Phase target,
                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (phase_ == target) {
    return Ack::kAlready;
  }
  if (phase_ != Phase::kRecording && phase_ != Phase::kPaused) {
    return Ack::kEnded;
  }
  command_ = command;
  changed_.notify_all();
  const bool done = changed_.wait_for(lock, timeout, [&] {
    return phase_ == target || (phase_ != Phase::kRecording && phase_ != Phase::kPaused);
  });
  if (!done) {
    return Ack::kTimedOut;
  }
  return phase_ == target ? Ack::kApplied : Ack::kEnded;
}

void SegmentWorker::request_stop() {
  std::lock_guard lock(mutex_);
  command_ = Command::kStop;
  changed_.notify_all();
}

bool SegmentWorker::wait_closed(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return phase_ >= Phase::kFinalizing; });
}

bool SegmentWorker::wait_done(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return phase_ == Phase::kDone; });
}

SegmentWorker::Phase SegmentWorker::phase() const {
  std::lock_guard lock(mutex_);
  return phase_;
}

SegmentStats SegmentWorker::stats() const {
  SegmentStats stats{frames_.load(), dropped_.load(), bytes_.load(), recorded_ms_.load(),
                     paused_ms_.load()};
  const auto since = paused_since_ms_.load();
  if (since >= 0 && started_steady_ != Clock::time_point{}) {
    stats.paused_ms += std::max<std::int64_t>(0, relative_ms() - since);
  }
  return stats;
}

void SegmentWorker::set_phase(Phase phase) {
  std::lock_guard lock(mutex_);
  phase_ = phase;
  changed_.notify_all();
}

std::int64_t SegmentWorker::relative_ms() const {
  return to_ms(Clock::now() - started_steady_);
}

Clock::time_point SegmentWorker::slot_due(std::int64_t slot) const {
  return started_steady_ + paused_total_ + frame_interval_ * slot;
}

void SegmentWorker::append_event(const std::string& kind, const std::string& message,
                                 nlohmann::json extra) {
  RecorderEvent event;
  event.session_id = identity_.session_id;
  event.t_rel_ms = relative_ms();
  event.t_epoch_ms = epoch_ms(std::chrono::system_clock::now());
  event.kind = kind;
  event.message = message;
  event.tags = {"recorder"};
  event.source = "recorder";
  event.extra = std::move(extra);
  const auto result = events_.append(format_recorder_event(event));
  if (!result.ok()) {
    shared::log_warn("recorder.event_write_failed",
                     {shared::field("kind", kind), shared::field("error", result.error)});
  }
}

void SegmentWorker::run() {
  auto opened = backend_->open(plan_, output_);
  if (!opened.ok()) {
    std::lock_guard lock(mutex_);
    open_error_ = opened;
    phase_ = Phase::kDone;
    changed_.notify_all();
    return;
  }
  output_size_ = backend_->output_resolution();
  display_size_ = backend_->display_resolution();
  identity_.resolution = output_size_;
  started_at_ = std::chrono::system_clock::now();
  started_steady_ = Clock::now();
  identity_.start_epoch_ms = epoch_ms(started_at_);
  next_probe_slot_ = plan_.fps;
  append_event("lifecycle", "Session started", {{"segment", identity_.segment}});
  append_event(
      "recorder_start", "Recorder started",
      {{"display", plan_.display}, {"resolution", output_size_.text()}, {"fps", plan_.fps}});
  set_phase(Phase::kRecording);

  SegmentEnd end;
  end.capture = record();
  set_phase(Phase::kClosing);
  const auto closed = backend_->finish();
  bytes_ = std::max<std::uint64_t>(bytes_.load(), backend_->bytes_written());
  if (end.capture.ok() && !closed.ok()) {
    end.capture = closed;
  }
  nlohmann::json reason{
      {"reason", end.capture.ok() ? "stop" : capture_failure_name(end.capture.failure)}};
  if (!end.capture.ok()) {
    reason["error"] = end.capture.message;
  }
  append_event("recorder_stop",
               end.capture.ok() ? "Recorder stopped" : "Recorder stopped: " + end.capture.message,
               reason);
  set_phase(Phase::kFinalizing);
  backend_->before_finalize();

  end.finalize = SegmentFinalizer(identity_, traces_).run(reason["reason"].get<std::string>());
  end.stats = stats();
  end_ = end;
  set_phase(Phase::kDone);
  if (on_end_) {
    on_end_(end);
  }
}

CaptureError SegmentWorker::record() {
  while (true) {
    std::unique_lock lock(mutex_);
    if (!wait_for_slot(lock)) {
      return resume_error_;  // a requested stop, or a display that changed during a pause
    }
    lock.unlock();
    if (auto error = capture_slot(); !error.ok()) {
      return error;
    }
  }
}

// Sleeps until the next frame is due or a command arrives, and applies commands. Returns false
// when the segment must stop.
bool SegmentWorker::wait_for_slot(std::unique_lock<std::mutex>& lock) {
  while (true) {
    changed_.wait_until(lock, slot_due(slot_), [this] { return command_ != Command::kNone; });
    const auto command = std::exchange(command_, Command::kNone);
    if (command == Command::kStop) {
      return false;
    }
    if (command == Command::kPause) {
      hold_while_paused(lock);
      if (command_ == Command::kStop || !resume_error_.ok()) {
        return false;
      }
      command_ = Command::kNone;
      continue;
    }
    if (Clock::now() >= slot_due(slot_)) {
      return true;
    }
  }
}

// Blocks with no timeout until resume or stop, so a paused recorder uses no CPU. The paused
// span is left out of the video timeline: the next frame is due where the pause cut in.
void SegmentWorker::hold_while_paused(std::unique_lock<std::mutex>& lock) {
  paused_since_ = Clock::now();
  paused_since_ms_ = relative_ms();
  phase_ = Phase::kPaused;
  changed_.notify_all();
  lock.unlock();
  append_event("recorder_pause", "Recorder paused");
  lock.lock();

  changed_.wait(lock,
                [this] { return command_ == Command::kResume || command_ == Command::kStop; });
  if (command_ == Command::kStop) {
    return;  // stays paused until closed; the trailing pause removes nothing from the video
  }
  lock.unlock();
  resume_error_ = backend_->before_resume();
  lock.lock();
  if (!resume_error_.ok()) {
    return;
  }
  const auto paused = Clock::now() - paused_since_;
  paused_total_ += paused;
  paused_ms_ += to_ms(paused);
  paused_since_ms_ = -1;
  phase_ = Phase::kRecording;
  changed_.notify_all();
  lock.unlock();
  append_event("recorder_resume", "Recorder resumed");
  lock.lock();
}

CaptureError SegmentWorker::capture_slot() {
  const auto result = backend_->capture_frame(slot_);
  if (result.outcome == FrameOutcome::kFailed) {
    return result.error;
  }
  if (result.outcome == FrameOutcome::kNoImage) {
    if (++slots_without_image_ > kNoImageSeconds * plan_.fps) {
      return {CaptureFailure::kDisplayLost, "no image from display " + plan_.display + " for " +
                                                std::to_string(kNoImageSeconds) + " s"};
    }
  } else {
    slots_without_image_ = 0;
    ++frames_;
    bytes_ = backend_->bytes_written();
  }

  ++slot_;
  // When encoding fell behind, skip the slots already missed so the video keeps real time.
  const auto late = Clock::now() - slot_due(slot_);
  if (late >= frame_interval_) {
    const auto missed = late / frame_interval_;
    dropped_ += static_cast<std::uint64_t>(missed);
    slot_ += missed;
  }
  recorded_ms_ = to_ms(std::chrono::duration_cast<Clock::duration>(frame_interval_ * slot_));

  if (slot_ >= next_probe_slot_) {
    next_probe_slot_ = slot_ + plan_.fps;
    const auto size = backend_->probe_display();
    if (!size) {
      return {CaptureFailure::kDisplayLost, "X display " + plan_.display + " no longer answers"};
    }
    if (*size != display_size_) {
      return {CaptureFailure::kDisplayResized, "display " + plan_.display + " changed from " +
                                                   display_size_.text() + " to " + size->text()};
    }
  }
  return {};
}

}  // namespace winebot::node

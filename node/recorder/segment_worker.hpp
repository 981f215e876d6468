#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "node/recorder/capture_backend.hpp"
#include "node/recorder/segment_finalizer.hpp"
#include "shared/jsonl/jsonl_appender.hpp"

namespace winebot::node {

// Counters of one segment, readable from any thread.
struct SegmentStats {
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;  // frame slots skipped because capture fell behind
  std::uint64_t bytes = 0;
  std::int64_t recorded_ms = 0;  // video time so far
  std::int64_t paused_ms = 0;    // finished pauses plus the current one
};

// Report of the capture thread when its segment has ended and been finalised.
struct SegmentEnd {
  CaptureError capture;  // why capture ended; ok() for a requested stop
  FinalizeResult finalize;
  SegmentStats stats;
};

// The capture thread of one segment: it paces frames, applies pause, resume and stop, writes the
// recorder_* events, then finalises the segment.
//
// Threading: the worker's own thread owns the CaptureBackend, the events appender and the
// finaliser. The public methods are called from the io_context thread. They hand commands over
// through `mutex_` and `changed_`, then wait with a deadline for the thread to apply them.
// `on_end` runs on the worker thread once, last of all, and the Recorder posts from it to the
// io_context. The destructor stops and joins the thread, so it may block until finalisation ends.
class SegmentWorker {
 public:
  using EndHandler = std::function<void(const SegmentEnd&)>;

  enum class Phase { kOpening, kRecording, kPaused, kClosing, kFinalizing, kDone };
  enum class Ack { kApplied, kAlready, kTimedOut, kEnded };

  SegmentWorker(std::unique_ptr<CaptureBackend> backend, CapturePlan plan, SegmentOutput output,
                SegmentIdentity identity, InputTraceSettings traces, EndHandler on_end);
  ~SegmentWorker();
  SegmentWorker(const SegmentWorker&) = delete;
  SegmentWorker& operator=(const SegmentWorker&) = delete;

  // Starts the thread and waits up to `timeout` for the video to be open and the first frame
  // due. On failure the thread has ended and `on_end` is not called.
  CaptureError start(std::chrono::milliseconds timeout);

  // Ask the thread to pause or resume and wait up to `timeout` for it to happen. A pause stops
  // grabbing before the next frame; a resume continues the video where the pause cut it.
  Ack pause(std::chrono::milliseconds timeout);
  Ack resume(std::chrono::milliseconds timeout);
  // Ask the thread to close the video and finalise. Returns at once.
  void request_stop();
  // Wait until the video file is closed, or until finalisation has ended. False on timeout.
  bool wait_closed(std::chrono::steady_clock::time_point deadline);
  bool wait_done(std::chrono::steady_clock::time_point deadline);

  Phase phase() const;
  SegmentStats stats() const;
  // The end report; valid once wait_done() has returned true.
  const SegmentEnd& end_report() const { return end_; }
  // Known after a successful start().
  Resolution output_resolution() const { return output_size_; }
  std::chrono::system_clock::time_point started_at() const { return started_at_; }

 private:
  enum class Command { kNone, kPause, kResume, kStop };

  void run();
  CaptureError record();
  CaptureError capture_slot();
  bool wait_for_slot(std::unique_lock<std::mutex>& lock);
  void hold_while_paused(std::unique_lock<std::mutex>& lock);
  Ack send(Command command, Phase target, std::chrono::milliseconds timeout);
  void set_phase(Phase phase);
  void append_event(const std::string& kind, const std::string& message,
                    nlohmann::json extra = nlohmann::json::object());
  std::chrono::steady_clock::time_point slot_due(std::int64_t slot) const;
  std::int64_t relative_ms() const;

  std::unique_ptr<CaptureBackend> backend_;
  const CapturePlan plan_;
  const SegmentOutput output_;
  SegmentIdentity identity_;
  const InputTraceSettings traces_;
  EndHandler on_end_;
  shared::JsonlAppender events_;
  const std::chrono::nanoseconds frame_interval_;

  // Written by the worker thread before it reports kRecording, read-only afterwards.
  Resolution output_size_;
  Resolution display_size_;
  std::chrono::system_clock::time_point started_at_;
  std::chrono::steady_clock::time_point started_steady_;

  // Worker thread only.
  std::int64_t slot_ = 0;
  std::int64_t slots_without_image_ = 0;
  std::int64_t next_probe_slot_ = 0;
  std::chrono::steady_clock::duration paused_total_{};
  std::chrono::steady_clock::time_point paused_since_;
  CaptureError resume_error_;

  mutable std::mutex mutex_;  // guards phase_, command_ and open_error_
  std::condition_variable changed_;
  Phase phase_ = Phase::kOpening;
  Command command_ = Command::kNone;
  CaptureError open_error_;

  SegmentEnd end_;  // written by the worker thread before phase_ becomes kDone

  std::atomic<std::uint64_t> frames_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::int64_t> recorded_ms_{0};
  std::atomic<std::int64_t> paused_ms_{0};
  std::atomic<std::int64_t> paused_since_ms_{-1};  // relative ms of the current pause, or -1

  std::thread thread_;
};

}  // namespace winebot::node

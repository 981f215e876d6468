#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "node/recorder/capture_backend.hpp"

namespace winebot::test {

// A gate the fake backend waits at when a test closes it.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = true;

  void close() {
    std::lock_guard lock(mutex);
    open = false;
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    changed.notify_all();
  }
  void pass() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return open; });
  }
};

// What the tests control in every backend the factory makes.
struct FakeDisplay {
  Gate resume_gate;
  Gate finish_gate;
  Gate finalize_gate;
  Gate frame_gate;  // closed: the capture thread waits inside capture_frame, like a wedged grab
  std::mutex mutex;
  node::Resolution size{1280, 720};
  node::CaptureError open_error;

  void resize(node::Resolution to) {
    std::lock_guard lock(mutex);
    size = to;
  }
};

// Records nothing: frames are counted, no video file is written.
class FakeBackend : public node::CaptureBackend {
 public:
  explicit FakeBackend(FakeDisplay& display) : display_(display) {}

  node::CaptureError open(const node::CapturePlan&, const node::SegmentOutput&) override {
    std::lock_guard lock(display_.mutex);
    opened_ = display_.size;
    return display_.open_error;
  }
  node::FrameResult capture_frame(std::int64_t) override {
    display_.frame_gate.pass();
    return {node::FrameOutcome::kEncoded, {}};
  }
  node::CaptureError finish() override {
    display_.finish_gate.pass();
    return {};
  }
  node::CaptureError before_resume() override {
    display_.resume_gate.pass();
    return {};
  }
  void before_finalize() override { display_.finalize_gate.pass(); }
  std::optional<node::Resolution> probe_display() override {
    std::lock_guard lock(display_.mutex);
    return display_.size;
  }
  node::Resolution display_resolution() const override { return opened_; }
  node::Resolution output_resolution() const override { return opened_; }
  std::uint64_t bytes_written() const override { return 0; }

 private:
  FakeDisplay& display_;
  node::Resolution opened_;
};

}  // namespace winebot::test

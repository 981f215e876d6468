#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "node/idle/xcb_handles.hpp"

namespace winebot::node {

// Maximum time one idle query waits for the X server's reply. A server that takes longer counts
// as unavailable for that sample, and the next sample keeps waiting for the same reply instead
// of sending another query.
inline constexpr std::chrono::milliseconds kXIdleReplyTimeout{2000};

// Shortest time between periodic samples. A shorter interval is raised to it.
inline constexpr std::chrono::milliseconds kXIdleMinInterval{10};

// How often a wait for a reply checks whether the sampler is being destroyed.
inline constexpr std::chrono::milliseconds kXIdleStopCheckInterval{50};

// Samples the X server's idle time: milliseconds since the last input of any kind, including
// input injected through XTEST (xdotool) and VNC input. It reads the MIT-SCREEN-SAVER
// extension's QueryInfo reply (field ms_since_user_input) through xcb.
//
// The connection is opened at the first sample. While it cannot be opened, has broken or the
// server lacks the extension, samples are nullopt and the next sample connects again. The sampler
// logs a warning when an outage starts and an info line when samples are available again, not
// once per sample.
//
// Threading: a thread of its own owns the xcb connection and everything marked "sampler thread
// only", so a slow or wedged X server never blocks the io_context. `mutex_` guards stop_requested_
// and sample_requested_, and `wake_` signals changes to them. Each sample is posted to the
// io_context, and the listener runs there. Construct, start and destroy the sampler on the
// io_context thread, or while the io_context is not running, so that no listener call overlaps
// the destructor. sample_now() may be called from any thread.
class XIdleSampler {
 public:
  // `idle` is nullopt while the display cannot be reached or lacks the extension.
  using Listener = std::function<void(std::optional<std::chrono::milliseconds> idle)>;

  // `display` is an X display name such as ":0". An empty name means the DISPLAY environment
  // variable, as in xcb_connect. `interval` is the time between periodic samples, at least
  // kXIdleMinInterval.
  XIdleSampler(boost::asio::io_context& io, std::string display, std::chrono::milliseconds interval,
               Listener listener);
  // Stops and joins the thread. Samples still queued on the io_context are dropped.
  ~XIdleSampler();
  XIdleSampler(const XIdleSampler&) = delete;
  XIdleSampler& operator=(const XIdleSampler&) = delete;

  // Starts the thread, which takes its first sample at once. A second call does nothing.
  void start();

  // Takes a sample at once, for a decision that must not act on a stale sample. The listener
  // gets it on the io_context thread like the periodic ones. Before start(), the request is met
  // by the first sample. A request made while the thread waits for a slow server is met by the
  // sample after that wait, so it can arrive up to twice kXIdleReplyTimeout late.
  void sample_now();

 private:
  // One sample: the idle time, or the reason why there is none.
  struct Reading {
    std::optional<std::chrono::milliseconds> idle;
    std::string problem;  // empty when `idle` has a value
  };

  enum class Availability { kUnknown, kAvailable, kUnavailable };

  void run();
  bool wait_for_next_sample();
  bool stop_requested() const;
  Reading read_idle();
  std::string connect();
  Reading wait_for_reply();
  std::optional<Reading> poll_reply();
  void drop_connection();
  void discard_events();
  void wait_readable(std::chrono::milliseconds timeout) const;
  void note_availability(const Reading& reading);
  void deliver(std::optional<std::chrono::milliseconds> idle);

  boost::asio::io_context& io_;
  const std::string display_;
  const std::chrono::milliseconds interval_;
  Listener listener_;

  // Reset by the destructor after the thread has ended, so samples still queued are dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  const std::weak_ptr<bool> alive_token_ = alive_;

  // Sampler thread only.
  XcbConnectionHandle connection_;
  xcb_window_t root_ = 0;
  std::optional<unsigned> pending_sequence_;  // query sent whose reply has not arrived yet
  Availability availability_ = Availability::kUnknown;
  std::chrono::steady_clock::time_point outage_started_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool sample_requested_ = false;

  std::thread thread_;
};

}  // namespace winebot::node

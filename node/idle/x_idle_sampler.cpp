#include "node/idle/x_idle_sampler.hpp"

#include <poll.h>
#include <xcb/screensaver.h>
#include <xcb/xcbext.h>  // xcb_poll_for_reply

#include <algorithm>
#include <boost/asio/post.hpp>

#include "shared/log/logger.hpp"

namespace winebot::node {
namespace {

using Clock = std::chrono::steady_clock;
using QueryInfoReply = xcb_screensaver_query_info_reply_t;

// Returns the root window of screen `screen_number`, or 0 when the server has no such screen.
xcb_window_t root_window(xcb_connection_t* connection, int screen_number) {
  auto screens = xcb_setup_roots_iterator(xcb_get_setup(connection));
  for (int index = 0; screens.rem > 0; ++index, xcb_screen_next(&screens)) {
    if (index == screen_number) {
      return screens.data->root;
    }
  }
  return 0;
}

long long to_ms(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

}  // namespace

XIdleSampler::XIdleSampler(boost::asio::io_context& io, std::string display,
                           std::chrono::milliseconds interval, Listener listener)
    : io_(io),
      display_(std::move(display)),
      interval_(std::max(interval, kXIdleMinInterval)),
      listener_(std::move(listener)) {}

XIdleSampler::~XIdleSampler() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  alive_.reset();
}

void XIdleSampler::start() {
  if (thread_.joinable()) {
    return;
  }
  thread_ = std::thread([this] { run(); });
}

void XIdleSampler::sample_now() {
  {
    std::lock_guard lock(mutex_);
    sample_requested_ = true;
  }
  wake_.notify_all();
}

void XIdleSampler::run() {
  do {
    {
      // This sample meets every request made so far.
      std::lock_guard lock(mutex_);
      sample_requested_ = false;
    }
    const Reading reading = read_idle();
    if (stop_requested()) {
      break;
    }
    note_availability(reading);
    deliver(reading.idle);
  } while (wait_for_next_sample());

  drop_connection();
}

// Sleeps until the interval has passed or a sample is requested. Returns false on stop.
bool XIdleSampler::wait_for_next_sample() {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, interval_, [this] { return stop_requested_ || sample_requested_; });
  return !stop_requested_;
}

bool XIdleSampler::stop_requested() const {
  std::lock_guard lock(mutex_);
  return stop_requested_;
}

XIdleSampler::Reading XIdleSampler::read_idle() {
  if (!connection_) {
    if (std::string problem = connect(); !problem.empty()) {
      return {std::nullopt, std::move(problem)};
    }
  }
  discard_events();
  if (!pending_sequence_) {
    pending_sequence_ = xcb_screensaver_query_info(connection_.get(), root_).sequence;
    xcb_flush(connection_.get());
  }
  return wait_for_reply();
}

// Waits up to kXIdleReplyTimeout for the pending query's reply, checking for a stop request
// every kXIdleStopCheckInterval.
XIdleSampler::Reading XIdleSampler::wait_for_reply() {
  const auto deadline = Clock::now() + kXIdleReplyTimeout;
  while (!stop_requested()) {
    if (std::optional<Reading> reading = poll_reply()) {
      return std::move(*reading);
    }
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      return {std::nullopt, "timed out after " + std::to_string(kXIdleReplyTimeout.count()) +
                                " ms waiting for the X server's reply"};
    }
    wait_readable(
        std::min(kXIdleStopCheckInterval, std::chrono::ceil<std::chrono::milliseconds>(left)));
  }
  return {std::nullopt, "stopping"};
}

// Opens the connection and checks for the extension. Returns the problem, or "" on success.
//
// Limitation: xcb_connect and the extension query wait for the server without a deadline,
// because xcb offers none for them. A server that accepts the socket but never replies holds the
// sampler thread here, and the destructor waits for it. Connecting the socket ourselves and
// reading the connection setup with poll() before xcb_connect_to_fd would lift this.
std::string XIdleSampler::connect() {
  int screen_number = 0;
  XcbConnectionHandle connection(xcb_connect(display_.c_str(), &screen_number));
  if (const int code = xcb_connection_has_error(connection.get()); code != 0) {
    return std::string("cannot connect to the X server: ") + xcb_connection_error_text(code);
  }

  const xcb_query_extension_reply_t* extension =
      xcb_get_extension_data(connection.get(), &xcb_screensaver_id);
  if (extension == nullptr || extension->present == 0) {
    return "the X server lacks the MIT-SCREEN-SAVER extension";
  }
  const xcb_window_t root = root_window(connection.get(), screen_number);
  if (root == 0) {
    return "the X server has no screen " + std::to_string(screen_number);
  }

  connection_ = std::move(connection);
  root_ = root;
  return {};
}

// Returns the reading once the pending query has its reply or the connection has broken, and
// nullopt while the reply is still on its way.
std::optional<XIdleSampler::Reading> XIdleSampler::poll_reply() {
  void* raw_reply = nullptr;
  xcb_generic_error_t* raw_error = nullptr;
  const int answered =
      xcb_poll_for_reply(connection_.get(), *pending_sequence_, &raw_reply, &raw_error);
  // xcb_poll_for_reply returns the reply untyped, and the pending request is QueryInfo.
  const XcbReplyHandle<QueryInfoReply> reply(static_cast<QueryInfoReply*>(raw_reply));
  const XcbReplyHandle<xcb_generic_error_t> error(raw_error);

  if (const int code = xcb_connection_has_error(connection_.get()); code != 0) {
    drop_connection();
    return Reading{std::nullopt, std::string("connection to the X server failed: ") +
                                     xcb_connection_error_text(code)};
  }
  if (answered == 0) {
    return std::nullopt;
  }

  pending_sequence_.reset();
  if (error) {
    return Reading{std::nullopt, "MIT-SCREEN-SAVER QueryInfo failed with X error code " +
                                     std::to_string(error->error_code)};
  }
  if (!reply) {
    return Reading{std::nullopt, "MIT-SCREEN-SAVER QueryInfo returned no reply"};
  }
  return Reading{std::chrono::milliseconds(reply->ms_since_user_input), {}};
}

void XIdleSampler::drop_connection() {
  connection_.reset();
  root_ = 0;
  pending_sequence_.reset();
}

// The sampler selects no events, but every client receives some (MappingNotify after a keymap
// change, which xdotool makes when it types). Unread events would pile up in xcb's queue.
void XIdleSampler::discard_events() {
  while (XcbReplyHandle<xcb_generic_event_t> event{xcb_poll_for_event(connection_.get())}) {
  }
}

void XIdleSampler::wait_readable(std::chrono::milliseconds timeout) const {
  pollfd descriptor{xcb_get_file_descriptor(connection_.get()), POLLIN, 0};
  // The result does not matter: the caller polls xcb for the reply after every wake-up.
  ::poll(&descriptor, 1, static_cast<int>(timeout.count()));
}

// Logs the start and the end of an outage, not every sample in it.
void XIdleSampler::note_availability(const Reading& reading) {
  if (!reading.idle) {
    if (availability_ != Availability::kUnavailable) {
      shared::log_warn("idle.x_idle_unavailable", {shared::field("display", display_),
                                                   shared::field("reason", reading.problem)});
      availability_ = Availability::kUnavailable;
      outage_started_ = Clock::now();
    }
    return;
  }

  if (availability_ == Availability::kUnavailable) {
    shared::log_info("idle.x_idle_available",
                     {shared::field("display", display_),
                      shared::field("outage_ms", to_ms(Clock::now() - outage_started_))});
  } else if (availability_ == Availability::kUnknown) {
    shared::log_info("idle.x_idle_available", {shared::field("display", display_)});
  }
  availability_ = Availability::kAvailable;
}

void XIdleSampler::deliver(std::optional<std::chrono::milliseconds> idle) {
  boost::asio::post(io_, [this, alive = alive_token_, idle] {
    if (alive.lock()) {
      listener_(idle);
    }
  });
}

}  // namespace winebot::node

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "node/screenshot/screen_grabber.hpp"

namespace winebot::node {

struct ScreenshotSettings {
  // Time from the start of a grab until the requests waiting for it get kTimedOut.
  std::chrono::milliseconds deadline{3000};
  // How long an image is returned again to requests for the same display and width.
  std::chrono::milliseconds max_age{1000};
  // Maximum grabs running at once, hung ones included.
  std::size_t max_running_grabs = 2;
  // Maximum images kept for max_age, one per display and width.
  std::size_t max_cached_images = 8;
};

// Takes screenshots for HTTP handlers without blocking the executor. Each grab runs on a
// detached thread of its own, because a wedged X server can block it until the server dies, and
// posts its result back to the executor. Requests for the same display and width share one
// running grab, and an image is returned again for up to settings.max_age. At most
// settings.max_running_grabs run at once, so a request that needs another grab then gets kBusy
// at once. Counters of each outcome are in metrics_text().
//
// Threading: the constructor, the destructor, take() and metrics_text() run on `executor`, which
// must be one thread (an io_context run by one thread). Only `grabber` runs elsewhere.
class ScreenshotService {
 public:
  // Grabs `display` at `width` and blocks until done; grab_screenshot in the node.
  using Grabber = std::function<ScreenshotResult(const std::string& display, int width)>;
  // The X display to grab now, read at each request.
  using DisplaySource = std::function<std::string()>;

  ScreenshotService(boost::asio::any_io_executor executor, DisplaySource display,
                    Grabber grabber = grab_screenshot, ScreenshotSettings settings = {});
  ~ScreenshotService();
  ScreenshotService(const ScreenshotService&) = delete;
  ScreenshotService& operator=(const ScreenshotService&) = delete;

  // Returns a JPEG of the display at `width` (see thumbnail_size), or the reason there is none:
  // kDisplayUnavailable or kEncoderFailed from the grab, kTimedOut after settings.deadline, or
  // kBusy. A grabber that throws gives kEncoderFailed with the exception's message.
  boost::asio::awaitable<ScreenshotResult> take(int width);

  // The `winebot_screenshot_*` counters in the Prometheus text format.
  std::string metrics_text() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace winebot::node

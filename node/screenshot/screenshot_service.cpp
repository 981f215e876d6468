#include "node/screenshot/screenshot_service.hpp"

#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "shared/log/logger.hpp"
#include "shared/metrics/prometheus_text.hpp"

namespace winebot::node {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Display and width: images of one key are interchangeable.
using ImageKey = std::pair<std::string, int>;

ScreenshotResult failed(ScreenshotFailure failure, std::string message) {
  ScreenshotResult result;
  result.failure = failure;
  result.message = std::move(message);
  return result;
}

// Calls `grabber` on a grab thread, where an exception would end the process.
ScreenshotResult run_grabber(const ScreenshotService::Grabber& grabber, const ImageKey& key) {
  try {
    return grabber(key.first, key.second);
  } catch (const std::exception& error) {
    return failed(ScreenshotFailure::kEncoderFailed,
                  std::string("screenshot of ") + key.first + " failed: " + error.what());
  }
}

// One running grab and the requests waiting for it.
struct Flight {
  Flight(asio::any_io_executor executor, std::uint64_t id) : done(std::move(executor)), id(id) {}

  asio::steady_timer done;  // Expires at the deadline; cancelled when the result arrives.
  std::uint64_t id;
  std::optional<ScreenshotResult> result;
};

struct CachedImage {
  ScreenshotResult result;
  Clock::time_point taken_at;
};

// The grab threads' way back to the executor. Once the service is gone, its io_context may be gone
// too, so the thread posts only while `open` is true, under `mutex`.
struct Handoff {
  std::mutex mutex;
  bool open = true;  // Guarded by `mutex`.
  asio::any_io_executor executor;
};

}  // namespace

// Everything below except `handoff` belongs to the executor's thread.
struct ScreenshotService::State {
  DisplaySource display;
  Grabber grabber;
  ScreenshotSettings settings;
  asio::any_io_executor executor;
  std::shared_ptr<Handoff> handoff = std::make_shared<Handoff>();
  std::map<ImageKey, std::shared_ptr<Flight>> flights;
  std::map<ImageKey, CachedImage> cache;
  std::size_t running = 0;
  std::string last_logged_failure;  // Empty after a success.
  std::uint64_t next_flight_id = 1;

  // Counters for metrics_text.
  std::uint64_t grabs = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t shared_grabs = 0;
  std::uint64_t busy = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t failures = 0;

  const ScreenshotResult* fresh_image(const ImageKey& key) const {
    const auto found = cache.find(key);
    if (found == cache.end() || Clock::now() - found->second.taken_at >= settings.max_age) {
      return nullptr;
    }
    return &found->second.result;
  }

  // Drops images older than max_age, then the oldest ones until there is room for one more.
  void make_room_in_cache() {
    const auto now = Clock::now();
    std::erase_if(
        cache, [&](const auto& entry) { return now - entry.second.taken_at >= settings.max_age; });
    while (!cache.empty() && cache.size() >= settings.max_cached_images) {
      auto oldest = cache.begin();
      for (auto it = cache.begin(); it != cache.end(); ++it) {
        if (it->second.taken_at < oldest->second.taken_at) {
          oldest = it;
        }
      }
      cache.erase(oldest);
    }
  }

  // Starts a grab thread and returns its flight, or nullptr with `error` set when the thread
  // cannot be created.
  std::shared_ptr<Flight> start_grab(std::shared_ptr<State> self, const ImageKey& key,
                                     std::string& error);
  void finish_grab(const ImageKey& key, std::uint64_t id, ScreenshotResult result);
};

std::shared_ptr<Flight> ScreenshotService::State::start_grab(std::shared_ptr<State> self,
                                                             const ImageKey& key,
                                                             std::string& error) {
  auto flight = std::make_shared<Flight>(executor, next_flight_id++);
  flight->done.expires_after(settings.deadline);

  // The thread holds no Asio object and only a weak reference to the state, because it may
  // outlive both the service and its io_context. Its result is posted, so it arrives after this
  // function has registered the flight.
  try {
    std::thread([grabber = grabber, handoff = handoff, state = std::weak_ptr<State>(self), key,
                 id = flight->id] {
      auto result = run_grabber(grabber, key);
      const std::lock_guard lock(handoff->mutex);
      if (!handoff->open) {
        return;
      }
      asio::post(handoff->executor, [state, key, id, result = std::move(result)]() mutable {
        if (const auto alive = state.lock()) {
          alive->finish_grab(key, id, std::move(result));
        }
      });
    }).detach();
  } catch (const std::system_error& failure) {
    error = std::string("cannot start a screenshot thread: ") + failure.what();
    shared::log_warn("screenshot.thread_failed",
                     {shared::field("display", key.first), shared::field("error", failure.what())});
    return nullptr;
  }

  flights[key] = flight;
  ++running;
  ++grabs;
  return flight;
}

void ScreenshotService::State::finish_grab(const ImageKey& key, std::uint64_t id,
                                           ScreenshotResult result) {
  --running;
  if (result.ok()) {
    make_room_in_cache();
    cache[key] = {result, Clock::now()};
  } else {
    ++failures;
    // A display that stays missing fails every request, so only a new error is logged.
    if (result.message != last_logged_failure) {
      last_logged_failure = result.message;
      shared::log_info("screenshot.failed",
                       {shared::field("display", key.first), shared::field("width", key.second),
                        shared::field("error", result.message)});
    }
  }
  if (result.ok() && !last_logged_failure.empty()) {
    last_logged_failure.clear();
    shared::log_info("screenshot.recovered", {shared::field("display", key.first)});
  }
  // A grab that finishes after its deadline only refreshes the cache: its waiters have gone.
  const auto found = flights.find(key);
  if (found != flights.end() && found->second->id == id) {
    found->second->result = std::move(result);
    found->second->done.cancel();
    flights.erase(found);
  }
}

ScreenshotService::ScreenshotService(asio::any_io_executor executor, DisplaySource display,
                                     Grabber grabber, ScreenshotSettings settings)
    : state_(std::make_shared<State>()) {
  state_->display = std::move(display);
  state_->grabber = std::move(grabber);
  state_->settings = settings;
  state_->executor = executor;
  state_->handoff->executor = std::move(executor);
}

ScreenshotService::~ScreenshotService() {
  const std::lock_guard lock(state_->handoff->mutex);
  state_->handoff->open = false;
}

asio::awaitable<ScreenshotResult> ScreenshotService::take(int width) {
  const auto state = state_;  // Keeps the state alive while this coroutine waits.
  const ImageKey key{state->display(), width};
  if (const auto* image = state->fresh_image(key)) {
    ++state->cache_hits;
    co_return *image;
  }

  std::shared_ptr<Flight> flight;
  if (const auto found = state->flights.find(key); found != state->flights.end()) {
    flight = found->second;
    ++state->shared_grabs;
  } else if (state->running >= state->settings.max_running_grabs) {
    ++state->busy;
    co_return failed(ScreenshotFailure::kBusy,
                     std::to_string(state->running) + " screenshots of X display " + key.first +
                         " are still being taken, the maximum at once; retry in a second");
  } else {
    std::string error;
    flight = state->start_grab(state, key, error);
    if (!flight) {
      co_return failed(ScreenshotFailure::kBusy, error);
    }
  }

  co_await flight->done.async_wait(kUseTuple);
  if (flight->result) {
    co_return *flight->result;
  }
  // The deadline passed. The next request starts a new grab while this one keeps its slot.
  if (const auto found = state->flights.find(key);
      found != state->flights.end() && found->second == flight) {
    state->flights.erase(found);
    ++state->timed_out;
    shared::log_warn(
        "screenshot.timed_out",
        {shared::field("display", key.first), shared::field("width", width),
         shared::field("deadline_ms", static_cast<long long>(state->settings.deadline.count()))});
  }
  co_return failed(ScreenshotFailure::kTimedOut,
                   "X display " + key.first + " did not return a screenshot within " +
                       std::to_string(state->settings.deadline.count()) + " ms");
}

std::string ScreenshotService::metrics_text() const {
  shared::PrometheusText text;
  text.family("winebot_screenshot_requests_total", "counter",
              "Screenshot requests, by how they were served.");
  text.sample(static_cast<double>(state_->grabs), {{"outcome", "grabbed"}});
  text.sample(static_cast<double>(state_->shared_grabs), {{"outcome", "shared"}});
  text.sample(static_cast<double>(state_->cache_hits), {{"outcome", "cached"}});
  text.sample(static_cast<double>(state_->busy), {{"outcome", "busy"}});
  text.counter("winebot_screenshot_failures_total",
               "Grabs that returned no image: display unavailable or encoder failure.",
               static_cast<double>(state_->failures));
  text.counter("winebot_screenshot_timeouts_total", "Grabs that passed their deadline.",
               static_cast<double>(state_->timed_out));
  text.gauge("winebot_screenshot_running_grabs", "Grabs running now, hung ones included.",
             static_cast<double>(state_->running));
  return text.text();
}

}  // namespace winebot::node

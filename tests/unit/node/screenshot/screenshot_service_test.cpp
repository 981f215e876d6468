#include "node/screenshot/screenshot_service.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tests/unit/support/http_test_support.hpp"

namespace winebot::node {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A fake grabber whose calls wait until the test opens the gate, so that a test can hold a grab
// "running" as long as it likes. It is shared with the grab threads, which may outlive the test
// body, and the fixture opens it at the end so that no thread stays blocked.
struct Gate {
  std::mutex mutex;
  std::condition_variable opened_signal;
  bool opened = true;
  int calls = 0;
  ScreenshotFailure failure = ScreenshotFailure::kNone;

  void close() {
    const std::lock_guard lock(mutex);
    opened = false;
  }
  void open() {
    {
      const std::lock_guard lock(mutex);
      opened = true;
    }
    opened_signal.notify_all();
  }
  int call_count() {
    const std::lock_guard lock(mutex);
    return calls;
  }
};

ScreenshotService::Grabber gated_grabber(std::shared_ptr<Gate> gate) {
  return [gate](const std::string& display, int width) {
    std::unique_lock lock(gate->mutex);
    ++gate->calls;
    const int call = gate->calls;
    gate->opened_signal.wait(lock, [&] { return gate->opened; });
    ScreenshotResult result;
    result.failure = gate->failure;
    if (result.ok()) {
      result.jpeg = display + " " + std::to_string(width) + " call " + std::to_string(call);
      result.size = {width, width / 2};
    } else {
      result.message = "cannot open X display " + display;
    }
    return result;
  };
}

struct ServiceFixture {
  explicit ServiceFixture(ScreenshotSettings settings = {})
      : service(
            io.get_executor(), [this] { return display; }, gated_grabber(gate), settings) {}
  ~ServiceFixture() { gate->open(); }

  ScreenshotResult take(int width) { return test::complete(io, service.take(width)); }

  // Starts a take() without waiting for it; its result lands in the returned slot.
  std::shared_ptr<std::optional<ScreenshotResult>> start_take(int width) {
    auto slot = std::make_shared<std::optional<ScreenshotResult>>();
    asio::co_spawn(io, service.take(width),
                   [slot](std::exception_ptr, ScreenshotResult result) { *slot = result; });
    return slot;
  }

  asio::io_context io;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::string display = ":1";
  ScreenshotService service;
};

TEST_CASE("Screenshot requests for one width share a grab", "[screenshot]") {
  ServiceFixture fixture;
  fixture.gate->close();
  std::vector<std::shared_ptr<std::optional<ScreenshotResult>>> slots;
  for (int request = 0; request < 5; ++request) {
    slots.push_back(fixture.start_take(320));
  }
  REQUIRE(test::run_until(fixture.io, [&] { return fixture.gate->call_count() == 1; }));
  test::run_for(fixture.io, 50ms);
  CHECK(fixture.gate->call_count() == 1);

  fixture.gate->open();
  REQUIRE(test::run_until(fixture.io, [&] {
    return std::all_of(slots.begin(), slots.end(),
                       [](const auto& slot) { return slot->has_value(); });
  }));
  for (const auto& slot : slots) {
    CHECK((*slot)->ok());
    CHECK((*slot)->jpeg == ":1 320 call 1");
  }
  CHECK_THAT(fixture.service.metrics_text(),
             Catch::Contains("winebot_screenshot_requests_total{outcome=\"shared\"} 4"));
}

TEST_CASE("Screenshot is returned again within max_age", "[screenshot]") {
  ScreenshotSettings settings;
  settings.max_age = 300ms;
  ServiceFixture fixture(settings);
  CHECK(fixture.take(320).jpeg == ":1 320 call 1");
  CHECK(fixture.take(320).jpeg == ":1 320 call 1");
  CHECK(fixture.gate->call_count() == 1);

  test::run_for(fixture.io, 350ms);
  CHECK(fixture.take(320).jpeg == ":1 320 call 2");
  CHECK_THAT(fixture.service.metrics_text(),
             Catch::Contains("winebot_screenshot_requests_total{outcome=\"cached\"} 1"));
}

TEST_CASE("Screenshot of another width or display grabs again", "[screenshot]") {
  ServiceFixture fixture;
  CHECK(fixture.take(320).jpeg == ":1 320 call 1");
  CHECK(fixture.take(640).jpeg == ":1 640 call 2");
  fixture.display = ":2";
  CHECK(fixture.take(320).jpeg == ":2 320 call 3");
}

TEST_CASE("Screenshot failure is returned and not cached", "[screenshot]") {
  ServiceFixture fixture;
  fixture.gate->failure = ScreenshotFailure::kDisplayUnavailable;
  const auto first = fixture.take(320);
  CHECK(first.failure == ScreenshotFailure::kDisplayUnavailable);
  CHECK(first.message == "cannot open X display :1");
  CHECK(fixture.take(320).failure == ScreenshotFailure::kDisplayUnavailable);
  CHECK(fixture.gate->call_count() == 2);
  CHECK_THAT(fixture.service.metrics_text(),
             Catch::Contains("winebot_screenshot_failures_total 2"));
}

TEST_CASE("Screenshot past its deadline times out", "[screenshot]") {
  ScreenshotSettings settings;
  settings.deadline = 100ms;
  ServiceFixture fixture(settings);
  fixture.gate->close();
  const auto started = std::chrono::steady_clock::now();
  const auto result = fixture.take(320);
  CHECK(result.failure == ScreenshotFailure::kTimedOut);
  CHECK(result.message == "X display :1 did not return a screenshot within 100 ms");
  CHECK(std::chrono::steady_clock::now() - started >= 100ms);
  CHECK_THAT(fixture.service.metrics_text(),
             Catch::Contains("winebot_screenshot_timeouts_total 1"));
  CHECK_THAT(fixture.service.metrics_text(), Catch::Contains("winebot_screenshot_running_grabs 1"));

  // The late image still arrives, frees the slot and serves the next request.
  fixture.gate->open();
  REQUIRE(test::run_until(fixture.io, [&] {
    return fixture.service.metrics_text().find("winebot_screenshot_running_grabs 0") !=
           std::string::npos;
  }));
  CHECK(fixture.take(320).jpeg == ":1 320 call 1");
  CHECK(fixture.gate->call_count() == 1);
}

TEST_CASE("Screenshot is busy while the maximum grabs run", "[screenshot]") {
  ScreenshotSettings settings;
  settings.max_running_grabs = 1;
  settings.deadline = 50ms;
  ServiceFixture fixture(settings);
  fixture.gate->close();
  CHECK(fixture.take(320).failure == ScreenshotFailure::kTimedOut);

  // The hung grab keeps its slot after its deadline, so neither width may start another.
  for (const int width : {320, 640}) {
    const auto busy = fixture.take(width);
    CHECK(busy.failure == ScreenshotFailure::kBusy);
    CHECK_THAT(busy.message, Catch::Contains("still being taken"));
  }
  CHECK(fixture.gate->call_count() == 1);

  fixture.gate->open();
  REQUIRE(test::run_until(fixture.io, [&] {
    return fixture.service.metrics_text().find("winebot_screenshot_running_grabs 0") !=
           std::string::npos;
  }));
  CHECK(fixture.take(640).ok());
}

TEST_CASE("Screenshot grab ending after the service is harmless", "[screenshot]") {
  auto gate = std::make_shared<Gate>();
  gate->close();
  {
    asio::io_context io;
    ScreenshotService service(
        io.get_executor(), [] { return std::string(":1"); }, gated_grabber(gate));
    asio::co_spawn(io, service.take(320), [](std::exception_ptr, ScreenshotResult) {});
    REQUIRE(test::run_until(io, [&] { return gate->call_count() == 1; }));
  }
  // The service and its io_context are gone; the thread must not post to them.
  gate->open();
  std::this_thread::sleep_for(50ms);
  CHECK(gate->call_count() == 1);
}

}  // namespace
}  // namespace winebot::node

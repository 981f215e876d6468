#include "node/idle/x_idle_sampler.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/unit/support/run_until.hpp"
#include "tests/unit/support/x_display.hpp"

namespace winebot::node {
namespace {

using namespace std::chrono_literals;
using Sample = std::optional<std::chrono::milliseconds>;

// Nothing listens on display kMissingDisplay. The tests start Xvfb on kTestDisplay.
constexpr int kMissingDisplay = 87;
constexpr int kTestDisplay = 96;

// Interval long enough that only start() and sample_now() produce samples during a test.
constexpr auto kNoPeriodicSamples = std::chrono::hours(1);

// A sampler and the samples it delivered. The io_context is declared first, so that it is
// destroyed after the sampler.
struct SamplerFixture {
  SamplerFixture(const std::string& display, std::chrono::milliseconds interval)
      : sampler(io, display, interval, [this](Sample idle) { samples.push_back(idle); }) {}

  // Runs the io_context until `count` samples in total have arrived.
  bool wait_for_samples(std::size_t count, std::chrono::milliseconds limit = test::kPatience) {
    return test::run_until(
        io, [&] { return samples.size() >= count; }, limit);
  }

  // Requests a sample and returns it, or fails the test when none arrives within `limit`.
  Sample sample_now(std::chrono::milliseconds limit = test::kPatience) {
    const std::size_t before = samples.size();
    sampler.sample_now();
    REQUIRE(wait_for_samples(before + 1, limit));
    return samples.back();
  }

  boost::asio::io_context io;
  std::vector<Sample> samples;
  XIdleSampler sampler;
};

// Starts Xvfb on kTestDisplay, or fails the test with the reason it could not.
void require_started(const test::XvfbServer& server) {
  if (!server.error().empty()) {
    FAIL(server.error());
  }
}

std::string describe(const Sample& sample) {
  return sample ? std::to_string(sample->count()) + " ms" : "nullopt";
}

}  // namespace

TEST_CASE("XIdleSampler reports nullopt for a missing display", "[idle]") {
  INFO("this test expects no X server on :" << kMissingDisplay);
  REQUIRE(test::x_lock_owner(kMissingDisplay) == 0);
  REQUIRE_FALSE(test::x_socket_accepts(kMissingDisplay));

  SamplerFixture fixture(":" + std::to_string(kMissingDisplay), 20ms);
  fixture.sampler.start();
  REQUIRE(fixture.wait_for_samples(3));
  for (const Sample& sample : fixture.samples) {
    CHECK_FALSE(sample.has_value());
  }
  CHECK_FALSE(fixture.sample_now().has_value());
}

TEST_CASE("XIdleSampler reports nullopt for an invalid display name", "[idle]") {
  SamplerFixture fixture("not a display", kNoPeriodicSamples);
  fixture.sampler.start();
  REQUIRE(fixture.wait_for_samples(1));
  CHECK_FALSE(fixture.samples.front().has_value());
}

TEST_CASE("XIdleSampler idle time grows", "[idle]") {
  const test::XvfbServer server(kTestDisplay);
  require_started(server);

  SamplerFixture fixture(server.display(), 150ms);
  fixture.sampler.start();
  REQUIRE(fixture.wait_for_samples(2));
  const Sample first = fixture.samples[0];
  const Sample second = fixture.samples[1];
  INFO("first " << describe(first) << ", second " << describe(second));
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(*second > *first);
  CHECK(*second - *first >= 100ms);
}

TEST_CASE("XIdleSampler sees xdotool input", "[idle]") {
  const test::XvfbServer server(kTestDisplay);
  require_started(server);

  SamplerFixture fixture(server.display(), kNoPeriodicSamples);
  fixture.sampler.start();
  REQUIRE(fixture.wait_for_samples(1));
  REQUIRE(fixture.samples.front().has_value());

  // Let the idle time pass 600 ms, so that a reset below 400 ms is clearly a reset.
  test::run_for(fixture.io, 600ms);
  const auto requested = std::chrono::steady_clock::now();
  const Sample before_input = fixture.sample_now();
  const auto delivery = std::chrono::steady_clock::now() - requested;
  INFO("idle before input: " << describe(before_input));
  REQUIRE(before_input.has_value());
  CHECK(*before_input >= 600ms);
  CHECK(delivery < 500ms);

  const std::string failure =
      test::run_x_client(server.display(), {"xdotool", "mousemove", "10", "10"});
  INFO(failure);
  REQUIRE(failure.empty());

  // The server may handle xdotool's motion just after our query, so ask a few times. Without a
  // reset every sample would be above 600 ms.
  const auto moved = std::chrono::steady_clock::now();
  Sample after_input;
  do {
    after_input = fixture.sample_now();
  } while (after_input && *after_input >= 400ms &&
           std::chrono::steady_clock::now() - moved < 300ms);
  INFO("idle after input: " << describe(after_input));
  REQUIRE(after_input.has_value());
  CHECK(*after_input < 400ms);
}

TEST_CASE("XIdleSampler reports nullopt without MIT-SCREEN-SAVER", "[idle]") {
  const test::XvfbServer server(kTestDisplay, {"-extension", "MIT-SCREEN-SAVER"});
  require_started(server);

  SamplerFixture fixture(server.display(), kNoPeriodicSamples);
  fixture.sampler.start();
  REQUIRE(fixture.wait_for_samples(1));
  CHECK_FALSE(fixture.samples.front().has_value());
  CHECK_FALSE(fixture.sample_now().has_value());
}

TEST_CASE("XIdleSampler reconnects after the server restarts", "[idle]") {
  std::optional<test::XvfbServer> server;
  server.emplace(kTestDisplay);
  require_started(*server);

  SamplerFixture fixture(server->display(), kNoPeriodicSamples);
  fixture.sampler.start();
  REQUIRE(fixture.wait_for_samples(1));
  REQUIRE(fixture.samples.front().has_value());

  server.reset();
  CHECK_FALSE(fixture.sample_now().has_value());
  CHECK_FALSE(fixture.sample_now().has_value());

  server.emplace(kTestDisplay);
  require_started(*server);
  const Sample restored = fixture.sample_now();
  INFO("sample after restart: " << describe(restored));
  REQUIRE(restored.has_value());
  CHECK(*restored < 5s);
}

TEST_CASE("XIdleSampler bounds the wait on a stopped server", "[idle]") {
  const test::XvfbServer server(kTestDisplay);
  require_started(server);

  std::optional<SamplerFixture> fixture;
  fixture.emplace(server.display(), kNoPeriodicSamples);
  fixture->sampler.start();
  REQUIRE(fixture->wait_for_samples(1));
  REQUIRE(fixture->samples.front().has_value());

  // A stopped server keeps the connection open but sends no reply, like a wedged one.
  REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
  const auto requested = std::chrono::steady_clock::now();
  const Sample unanswered = fixture->sample_now(kXIdleReplyTimeout + test::kPatience);
  const auto waited = std::chrono::steady_clock::now() - requested;
  CHECK_FALSE(unanswered.has_value());
  CHECK(waited >= kXIdleReplyTimeout);

  // The destructor stops a thread that is waiting for a reply.
  fixture->sampler.sample_now();
  std::this_thread::sleep_for(50ms);
  const auto stopping = std::chrono::steady_clock::now();
  fixture.reset();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
  ::kill(server.pid(), SIGCONT);
}

TEST_CASE("XIdleSampler drops samples after destruction", "[idle]") {
  boost::asio::io_context io;
  int calls = 0;
  {
    XIdleSampler sampler(io, ":" + std::to_string(kMissingDisplay), 10ms, [&](Sample) { ++calls; });
    sampler.start();
    std::this_thread::sleep_for(100ms);  // samples are posted while the io_context is not running
  }
  test::run_for(io, 50ms);
  CHECK(calls == 0);
}

}  // namespace winebot::node

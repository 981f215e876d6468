#include "shared/mdns/asio_poll.hpp"

#include <avahi-common/watch.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string_view>

#include "shared/util/unique_fd.hpp"
#include "tests/unit/support/run_until.hpp"

namespace {

using winebot::shared::AsioPoll;
using winebot::shared::UniqueFd;
using winebot::test::run_for;
using winebot::test::run_until;
using namespace std::chrono_literals;

// Long enough for any ready descriptor or due timer to be served on a loaded machine, so that
// "nothing happened in this time" means nothing was going to happen.
constexpr auto kQuietPeriod = 150ms;

struct FdPair {
  UniqueFd first;
  UniqueFd second;
};

// A pipe: `first` is the read end, `second` the write end.
FdPair make_pipe() {
  int fds[2] = {-1, -1};
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A connected pair of Unix stream sockets, each end readable and writable.
FdPair make_socket_pair() {
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_bytes(int fd, std::string_view bytes) {
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

bool read_one_byte(int fd) {
  char byte = 0;
  return ::read(fd, &byte, 1) == 1;
}

// Records what Avahi's watch callback receives. `on_fire`, when set, runs inside the callback,
// where a real Avahi client would read, update or free the watch.
struct WatchProbe {
  explicit WatchProbe(const AvahiPoll* poll_api) : api(poll_api) {}

  const AvahiPoll* api = nullptr;
  int calls = 0;
  int fd = -1;
  AvahiWatchEvent event{};
  AvahiWatchEvent events_inside_callback{};
  std::function<void(AvahiWatch*)> on_fire;

  static void callback(AvahiWatch* watch, int fd, AvahiWatchEvent event, void* userdata) {
    auto& probe = *static_cast<WatchProbe*>(userdata);
    ++probe.calls;
    probe.fd = fd;
    probe.event = event;
    probe.events_inside_callback = probe.api->watch_get_events(watch);
    if (probe.on_fire) {
      probe.on_fire(watch);
    }
  }

  AvahiWatch* watch(int fd, AvahiWatchEvent events) {
    return api->watch_new(api, fd, events, &WatchProbe::callback, this);
  }
};

struct TimeoutProbe {
  explicit TimeoutProbe(const AvahiPoll* poll_api) : api(poll_api) {}

  const AvahiPoll* api = nullptr;
  int calls = 0;
  timeval fired_at{};
  std::function<void(AvahiTimeout*)> on_fire;

  static void callback(AvahiTimeout* timeout, void* userdata) {
    auto& probe = *static_cast<TimeoutProbe*>(userdata);
    ++probe.calls;
    gettimeofday(&probe.fired_at, nullptr);
    if (probe.on_fire) {
      probe.on_fire(timeout);
    }
  }

  AvahiTimeout* timeout(const timeval* when) {
    return api->timeout_new(api, when, &TimeoutProbe::callback, this);
  }
};

// Avahi passes absolute wall-clock times, as gettimeofday returns them.
timeval wall_clock_after(std::chrono::microseconds delay) {
  timeval now{};
  gettimeofday(&now, nullptr);
  const long long total = static_cast<long long>(now.tv_usec) + delay.count();
  now.tv_sec += static_cast<time_t>(total / 1'000'000);
  now.tv_usec = static_cast<suseconds_t>(total % 1'000'000);
  return now;
}

long long microseconds_between(const timeval& from, const timeval& to) {
  return (static_cast<long long>(to.tv_sec) - from.tv_sec) * 1'000'000 +
         (static_cast<long long>(to.tv_usec) - from.tv_usec);
}

}  // namespace

TEST_CASE("AsioPoll fires a read watch when the pipe has data", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto pipe = make_pipe();
  WatchProbe probe{poll.get()};
  probe.on_fire = [&](AvahiWatch*) { read_one_byte(pipe.first.get()); };
  AvahiWatch* watch = probe.watch(pipe.first.get(), AVAHI_WATCH_IN);
  REQUIRE(watch != nullptr);

  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 0);

  write_bytes(pipe.second.get(), "x");
  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));
  REQUIRE(probe.event == AVAHI_WATCH_IN);
  REQUIRE(probe.events_inside_callback == AVAHI_WATCH_IN);
  REQUIRE(probe.fd == pipe.first.get());
  REQUIRE(poll.get()->watch_get_events(watch) == 0);

  poll.get()->watch_free(watch);
}

TEST_CASE("AsioPoll read watch fires until the pipe drains", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto pipe = make_pipe();
  WatchProbe probe{poll.get()};
  int bytes_read = 0;
  probe.on_fire = [&](AvahiWatch*) { bytes_read += read_one_byte(pipe.first.get()) ? 1 : 0; };
  AvahiWatch* watch = probe.watch(pipe.first.get(), AVAHI_WATCH_IN);

  // Each callback reads one byte, so a level-triggered watch must fire once per byte.
  write_bytes(pipe.second.get(), "abc");
  REQUIRE(run_until(io, [&] { return bytes_read == 3; }));

  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 3);

  poll.get()->watch_free(watch);
}

TEST_CASE("AsioPoll stops a watch updated to no events", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto pipe = make_pipe();
  WatchProbe probe{poll.get()};
  probe.on_fire = [&](AvahiWatch* watch) {
    probe.api->watch_update(watch, static_cast<AvahiWatchEvent>(0));
  };
  AvahiWatch* watch = probe.watch(pipe.first.get(), AVAHI_WATCH_IN);

  // The data stays unread, so only the update can keep the watch quiet.
  write_bytes(pipe.second.get(), "x");
  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 1);

  probe.on_fire = nullptr;
  poll.get()->watch_update(watch, AVAHI_WATCH_IN);
  REQUIRE(run_until(io, [&] { return probe.calls >= 2; }));

  poll.get()->watch_free(watch);
}

TEST_CASE("AsioPoll ignores data on a disabled watch", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto pipe = make_pipe();
  WatchProbe probe{poll.get()};
  AvahiWatch* watch = probe.watch(pipe.first.get(), AVAHI_WATCH_IN);

  poll.get()->watch_update(watch, static_cast<AvahiWatchEvent>(0));
  write_bytes(pipe.second.get(), "x");
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 0);

  poll.get()->watch_free(watch);
}

TEST_CASE("AsioPoll survives freeing a watch in its callback", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto pipe = make_pipe();
  WatchProbe probe{poll.get()};
  probe.on_fire = [&](AvahiWatch* watch) { probe.api->watch_free(watch); };
  probe.watch(pipe.first.get(), AVAHI_WATCH_IN);
  REQUIRE(poll.watch_count() == 1);

  write_bytes(pipe.second.get(), "unread data");
  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 1);
  REQUIRE(poll.watch_count() == 0);
}

TEST_CASE("AsioPoll serves read and write watches on one fd", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto sockets = make_socket_pair();
  const int shared_fd = sockets.first.get();

  WatchProbe reader{poll.get()};
  reader.on_fire = [&](AvahiWatch*) { read_one_byte(shared_fd); };
  WatchProbe writer{poll.get()};
  writer.on_fire = [&](AvahiWatch* watch) {
    writer.api->watch_update(watch, static_cast<AvahiWatchEvent>(0));
  };
  AvahiWatch* read_watch = reader.watch(shared_fd, AVAHI_WATCH_IN);
  AvahiWatch* write_watch = writer.watch(shared_fd, AVAHI_WATCH_OUT);
  REQUIRE(read_watch != nullptr);
  REQUIRE(write_watch != nullptr);

  // An empty socket is writable at once and readable only after the peer writes.
  REQUIRE(run_until(io, [&] { return writer.calls == 1; }));
  REQUIRE(writer.event == AVAHI_WATCH_OUT);
  REQUIRE(writer.fd == shared_fd);
  REQUIRE(reader.calls == 0);

  write_bytes(sockets.second.get(), "x");
  REQUIRE(run_until(io, [&] { return reader.calls == 1; }));
  REQUIRE(reader.event == AVAHI_WATCH_IN);
  REQUIRE(reader.fd == shared_fd);
  REQUIRE(writer.calls == 1);

  poll.get()->watch_free(read_watch);
  poll.get()->watch_free(write_watch);
}

TEST_CASE("AsioPoll fires a timeout not before its time", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  const auto started = std::chrono::steady_clock::now();
  const timeval when = wall_clock_after(100ms);
  AvahiTimeout* timeout = probe.timeout(&when);
  REQUIRE(timeout != nullptr);

  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE(microseconds_between(when, probe.fired_at) >= 0);
  // Bounds only a broken timer, not scheduling noise: a timer that ignored `when` would fire
  // at once, and one that lost it would never fire.
  REQUIRE(waited < 2s);

  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 1);
  poll.get()->timeout_free(timeout);
}

TEST_CASE("AsioPoll fires a past timeout at once", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  const timeval when = wall_clock_after(-1s);
  AvahiTimeout* timeout = probe.timeout(&when);

  REQUIRE(run_until(
      io, [&] { return probe.calls == 1; }, 1s));
  poll.get()->timeout_free(timeout);
}

TEST_CASE("AsioPoll disables a timeout updated to NULL", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  const timeval when = wall_clock_after(20ms);
  AvahiTimeout* timeout = probe.timeout(&when);

  poll.get()->timeout_update(timeout, nullptr);
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 0);
  REQUIRE(poll.timeout_count() == 1);

  poll.get()->timeout_free(timeout);
}

TEST_CASE("AsioPoll never fires a timeout created disabled", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  AvahiTimeout* timeout = probe.timeout(nullptr);

  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 0);

  poll.get()->timeout_free(timeout);
}

TEST_CASE("AsioPoll re-arms an updated timeout", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  AvahiTimeout* timeout = probe.timeout(nullptr);

  const timeval first = wall_clock_after(10ms);
  poll.get()->timeout_update(timeout, &first);
  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));

  // A timeout fires once per update, like Avahi's own simple poll.
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 1);

  const timeval second = wall_clock_after(10ms);
  poll.get()->timeout_update(timeout, &second);
  REQUIRE(run_until(io, [&] { return probe.calls == 2; }));
  REQUIRE(microseconds_between(second, probe.fired_at) >= 0);

  poll.get()->timeout_free(timeout);
}

TEST_CASE("AsioPoll delays a timeout updated to later", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  const timeval early = wall_clock_after(30ms);
  AvahiTimeout* timeout = probe.timeout(&early);

  const timeval late = wall_clock_after(300ms);
  poll.get()->timeout_update(timeout, &late);
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 0);

  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));
  REQUIRE(microseconds_between(late, probe.fired_at) >= 0);

  poll.get()->timeout_free(timeout);
}

TEST_CASE("AsioPoll survives freeing a timeout in its callback", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  TimeoutProbe probe{poll.get()};
  probe.on_fire = [&](AvahiTimeout* timeout) { probe.api->timeout_free(timeout); };
  const timeval when = wall_clock_after(10ms);
  probe.timeout(&when);
  REQUIRE(poll.timeout_count() == 1);

  REQUIRE(run_until(io, [&] { return probe.calls == 1; }));
  run_for(io, kQuietPeriod);
  REQUIRE(probe.calls == 1);
  REQUIRE(poll.timeout_count() == 0);
}

TEST_CASE("AsioPoll counts live watches and timeouts", "[mdns]") {
  boost::asio::io_context io;
  AsioPoll poll(io);
  auto pipe = make_pipe();
  WatchProbe watch_probe{poll.get()};
  TimeoutProbe timeout_probe{poll.get()};
  const timeval soon = wall_clock_after(10ms);

  AvahiWatch* read_watch = watch_probe.watch(pipe.first.get(), AVAHI_WATCH_IN);
  AvahiWatch* write_watch = watch_probe.watch(pipe.second.get(), AVAHI_WATCH_OUT);
  AvahiTimeout* due = timeout_probe.timeout(&soon);
  AvahiTimeout* disabled = timeout_probe.timeout(nullptr);
  REQUIRE(poll.watch_count() == 2);
  REQUIRE(poll.timeout_count() == 2);

  // Freeing with waits and a timer still pending must cancel them, not leave them to fire.
  poll.get()->watch_free(read_watch);
  poll.get()->watch_free(write_watch);
  poll.get()->timeout_free(due);
  poll.get()->timeout_free(disabled);
  REQUIRE(poll.watch_count() == 0);
  REQUIRE(poll.timeout_count() == 0);

  write_bytes(pipe.second.get(), "x");
  run_for(io, kQuietPeriod);
  REQUIRE(watch_probe.calls == 0);
  REQUIRE(timeout_probe.calls == 0);
}

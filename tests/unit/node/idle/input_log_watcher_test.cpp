#include "node/idle/input_log_watcher.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/support/run_until.hpp"
#include "tests/unit/support/temp_folder.hpp"

namespace winebot::node {
namespace {

using namespace std::chrono_literals;
using Origins = std::vector<ActivityOrigin>;

constexpr auto kUser = ActivityOrigin::kUser;
constexpr auto kAgent = ActivityOrigin::kAgent;
constexpr auto kUnknown = ActivityOrigin::kUnknown;

// Time a test waits for reports that must not come. Reports arrive within a few milliseconds,
// so a missed one shows up as a failure in almost every run.
constexpr std::chrono::milliseconds kQuietPeriod{200};

void append(const std::filesystem::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << text;
  out.flush();
  REQUIRE(out.good());
}

std::string event_line(std::string_view origin) {
  return R"({"event":"mouse_move","x":10,"y":20,"origin":")" + std::string(origin) + "\"}\n";
}

// A session folder with a logs folder, and a watcher that records the origins it reports. The
// io_context is declared first, so that it is destroyed after the watcher.
struct WatcherFixture {
  WatcherFixture()
      : watcher(io, [this](const InputLogLine& line) {
          origins.push_back(line.origin);
          times.push_back(line.epoch_ms);
        }) {
    std::filesystem::create_directories(logs);
  }

  bool wait_for_reports(std::size_t count) {
    return test::run_until(io, [&] { return origins.size() >= count; });
  }

  // Runs the io_context for kQuietPeriod, so that reports that should not come have a chance to.
  void settle() { test::run_for(io, kQuietPeriod); }

  boost::asio::io_context io;
  test::TempFolder session;
  std::filesystem::path logs = session.path() / "logs";
  std::filesystem::path input_events = logs / "input_events.jsonl";
  Origins origins;
  std::vector<std::optional<std::int64_t>> times;
  InputLogWatcher watcher;
};

}  // namespace

TEST_CASE("InputLogWatcher reports appended origins in order", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  append(fixture.input_events, event_line("agent"));
  append(fixture.input_events, event_line("user") + event_line("robot"));
  append(fixture.input_events, "{\"event\":\"key\"}\n{\"origin\":5}\n");
  REQUIRE(fixture.wait_for_reports(5));
  fixture.settle();

  CHECK(fixture.origins == Origins{kAgent, kUser, kUnknown, kUnknown, kUnknown});
  CHECK(fixture.watcher.lines_seen() == 5);
  CHECK(fixture.watcher.lines_skipped() == 0);
}

TEST_CASE("InputLogWatcher reads the event time", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  append(fixture.input_events,
         "{\"origin\":\"agent\",\"timestamp_epoch_ms\":1700000000123}\n"
         "{\"origin\":\"unknown\",\"t_wall_ms\":1700000000456}\n"
         "{\"origin\":\"user\",\"timestamp_epoch_ms\":\"soon\"}\n");
  REQUIRE(fixture.wait_for_reports(3));

  REQUIRE(fixture.times.size() == 3);
  CHECK(fixture.times[0] == std::optional<std::int64_t>(1700000000123));
  CHECK(fixture.times[1] == std::optional<std::int64_t>(1700000000456));
  CHECK_FALSE(fixture.times[2]);
}

TEST_CASE("InputLogWatcher reads only input_events files", "[idle]") {
  WatcherFixture fixture;
  append(fixture.logs / "input_events_client.jsonl", event_line("user"));
  fixture.watcher.watch(fixture.logs);

  append(fixture.logs / "input_events_client.jsonl", event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));
  append(fixture.logs / "input_events_windows.jsonl", event_line("user"));
  REQUIRE(fixture.wait_for_reports(2));
  append(fixture.logs / "events.jsonl", event_line("user"));
  append(fixture.logs / "input_events.jsonl.1", event_line("user"));
  append(fixture.logs / "input_events.txt", event_line("user"));
  fixture.settle();

  CHECK(fixture.origins == Origins{kAgent, kUser});
}

TEST_CASE("InputLogWatcher skips lines present before watch", "[idle]") {
  WatcherFixture fixture;
  append(fixture.input_events, event_line("agent") + event_line("agent") + "not json\n");
  fixture.watcher.watch(fixture.logs);

  append(fixture.input_events, event_line("user"));
  REQUIRE(fixture.wait_for_reports(1));
  fixture.settle();

  CHECK(fixture.origins == Origins{kUser});
  CHECK(fixture.watcher.lines_skipped() == 0);
}

TEST_CASE("InputLogWatcher waits for a line end", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  const std::string line = event_line("agent");
  append(fixture.input_events, line.substr(0, 20));
  fixture.settle();
  CHECK(fixture.origins.empty());

  append(fixture.input_events, line.substr(20, line.size() - 21));
  fixture.settle();
  CHECK(fixture.origins.empty());

  append(fixture.input_events, "\n");
  REQUIRE(fixture.wait_for_reports(1));
  CHECK(fixture.origins == Origins{kAgent});
  CHECK(fixture.watcher.lines_skipped() == 0);
}

TEST_CASE("InputLogWatcher reports a line unfinished at watch", "[idle]") {
  WatcherFixture fixture;
  const std::string line = event_line("user");
  append(fixture.input_events, event_line("agent") + line.substr(0, 25));
  fixture.watcher.watch(fixture.logs);

  append(fixture.input_events, line.substr(25));
  REQUIRE(fixture.wait_for_reports(1));
  fixture.settle();
  CHECK(fixture.origins == Origins{kUser});
  CHECK(fixture.watcher.lines_skipped() == 0);
}

TEST_CASE("InputLogWatcher skips and counts invalid lines", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  append(fixture.input_events, "not json\n[1,2]\n\"text\"\n{\"origin\":\"user\"\n");
  append(fixture.input_events, "\n   \n\r\n");  // blank lines are neither seen nor skipped
  append(fixture.input_events, event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));
  fixture.settle();

  CHECK(fixture.origins == Origins{kAgent});
  CHECK(fixture.watcher.lines_seen() == 1);
  CHECK(fixture.watcher.lines_skipped() == 4);
}

TEST_CASE("InputLogWatcher skips lines over the maximum length", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  // A line of exactly the maximum length counts, and one byte more is skipped.
  const std::string head = R"({"origin":"user","padding":")";
  const std::string tail = "\"}";
  const std::string fitting =
      head + std::string(kMaxInputEventLineBytes - head.size() - tail.size(), 'x') + tail;
  REQUIRE(fitting.size() == kMaxInputEventLineBytes);
  append(fixture.input_events, fitting + "\n");
  REQUIRE(fixture.wait_for_reports(1));

  const std::string too_long = head + "y" + fitting.substr(head.size());
  append(fixture.input_events, too_long + "\n");
  // An over-long line that arrives in pieces, read while still unfinished.
  append(fixture.input_events, std::string(kMaxInputEventLineBytes, 'z'));
  fixture.settle();
  append(fixture.input_events, std::string(1000, 'z'));
  fixture.settle();
  append(fixture.input_events, "\n" + event_line("agent"));
  REQUIRE(fixture.wait_for_reports(2));
  fixture.settle();

  CHECK(fixture.origins == Origins{kUser, kAgent});
  CHECK(fixture.watcher.lines_seen() == 2);
  CHECK(fixture.watcher.lines_skipped() == 2);
}

TEST_CASE("InputLogWatcher skips a long unfinished line", "[idle]") {
  WatcherFixture fixture;
  append(fixture.input_events, event_line("user") + std::string(kMaxInputEventLineBytes + 10, 'x'));
  fixture.watcher.watch(fixture.logs);

  append(fixture.input_events, "xx\n" + event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));
  fixture.settle();
  CHECK(fixture.origins == Origins{kAgent});
  CHECK(fixture.watcher.lines_skipped() == 1);
}

TEST_CASE("InputLogWatcher reads a new file whole", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  append(fixture.logs / "input_events_windows.jsonl", event_line("user") + event_line("agent"));
  REQUIRE(fixture.wait_for_reports(2));
  fixture.settle();
  CHECK(fixture.origins == Origins{kUser, kAgent});
}

TEST_CASE("InputLogWatcher rereads a truncated file", "[idle]") {
  WatcherFixture fixture;
  append(fixture.input_events, event_line("user") + event_line("user") + event_line("user"));
  fixture.watcher.watch(fixture.logs);

  std::filesystem::resize_file(fixture.input_events, 0);
  append(fixture.input_events, event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));
  fixture.settle();
  CHECK(fixture.origins == Origins{kAgent});
}

TEST_CASE("InputLogWatcher reads a replacing file whole", "[idle]") {
  WatcherFixture fixture;
  append(fixture.input_events, event_line("user"));
  fixture.watcher.watch(fixture.logs);

  const auto staged = fixture.logs / "input_events.jsonl.new";
  append(staged, event_line("agent") + event_line("agent") + event_line("user"));
  std::filesystem::rename(staged, fixture.input_events);
  REQUIRE(fixture.wait_for_reports(3));
  fixture.settle();
  CHECK(fixture.origins == Origins{kAgent, kAgent, kUser});

  std::filesystem::remove(fixture.input_events);
  append(fixture.input_events, event_line("user"));
  REQUIRE(fixture.wait_for_reports(4));
  CHECK(fixture.origins.back() == kUser);
}

TEST_CASE("InputLogWatcher picks up a later logs folder", "[idle]") {
  boost::asio::io_context io;
  test::TempFolder session;
  Origins origins;
  InputLogWatcher watcher(io, [&](const InputLogLine& line) { origins.push_back(line.origin); });
  const auto logs = session.path() / "logs";
  watcher.watch(logs);
  test::run_for(io, 20ms);

  std::filesystem::create_directories(logs);
  append(logs / "input_events.jsonl", event_line("agent"));
  REQUIRE(test::run_until(io, [&] { return !origins.empty(); }));
  append(logs / "input_events.jsonl", event_line("user"));
  REQUIRE(test::run_until(io, [&] { return origins.size() >= 2; }));
  test::run_for(io, kQuietPeriod);
  CHECK(origins == Origins{kAgent, kUser});
}

TEST_CASE("InputLogWatcher follows a recreated logs folder", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);
  append(fixture.input_events, event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));

  std::filesystem::remove_all(fixture.logs);
  fixture.settle();
  std::filesystem::create_directories(fixture.logs);
  append(fixture.input_events, event_line("user"));
  REQUIRE(fixture.wait_for_reports(2));
  fixture.settle();
  CHECK(fixture.origins == Origins{kAgent, kUser});
}

TEST_CASE("InputLogWatcher without a session folder", "[idle]") {
  WatcherFixture fixture;
  const auto missing = fixture.session.path() / "missing" / "logs";
  fixture.watcher.watch(missing);
  fixture.settle();

  // Calling again with the same path tries again, and finds the folder now.
  std::filesystem::create_directories(missing);
  fixture.watcher.watch(missing);
  append(missing / "input_events.jsonl", event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));
  CHECK(fixture.origins == Origins{kAgent});
}

TEST_CASE("InputLogWatcher stops reporting after an empty path", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);
  append(fixture.input_events, event_line("agent"));
  REQUIRE(fixture.wait_for_reports(1));

  fixture.watcher.watch({});
  append(fixture.input_events, event_line("user"));
  append(fixture.logs / "input_events_client.jsonl", event_line("user"));
  fixture.settle();
  CHECK(fixture.origins == Origins{kAgent});
}

TEST_CASE("InputLogWatcher switches to another folder", "[idle]") {
  WatcherFixture first;
  test::TempFolder second_session;
  const auto second_logs = second_session.path() / "logs";
  std::filesystem::create_directories(second_logs);
  append(second_logs / "input_events.jsonl", event_line("user"));

  first.watcher.watch(first.logs);
  append(first.input_events, event_line("agent"));
  first.watcher.watch(second_logs);
  append(first.input_events, event_line("agent"));
  append(second_logs / "input_events.jsonl", event_line("user"));
  REQUIRE(first.wait_for_reports(1));
  first.settle();
  CHECK(first.origins == Origins{kUser});
}

TEST_CASE("InputLogWatcher ignores a repeated watch", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);
  append(fixture.input_events, event_line("agent"));
  // Restarting here would skip the line just appended, as a line present before watch().
  fixture.watcher.watch(fixture.logs);
  fixture.watcher.watch(fixture.logs.string() + "/");
  REQUIRE(fixture.wait_for_reports(1));
  CHECK(fixture.origins == Origins{kAgent});
}

TEST_CASE("InputLogWatcher lets the listener switch folders", "[idle]") {
  boost::asio::io_context io;
  test::TempFolder first;
  test::TempFolder second;
  Origins origins;
  std::unique_ptr<InputLogWatcher> watcher;
  watcher = std::make_unique<InputLogWatcher>(io, [&](const InputLogLine& line) {
    origins.push_back(line.origin);
    watcher->watch(second.path());
  });
  watcher->watch(first.path());

  append(first.file("input_events.jsonl"), event_line("agent") + event_line("agent"));
  REQUIRE(test::run_until(io, [&] { return !origins.empty(); }));
  append(second.file("input_events.jsonl"), event_line("user"));
  REQUIRE(test::run_until(io, [&] { return origins.size() >= 2; }));
  test::run_for(io, kQuietPeriod);
  CHECK(origins == Origins{kAgent, kUser});
}

TEST_CASE("InputLogWatcher reads a large append in steps", "[idle]") {
  WatcherFixture fixture;
  fixture.watcher.watch(fixture.logs);

  const std::string line = event_line("user");
  const std::size_t count = kMaxInputLogReadBytesPerStep / line.size() * 2 + 7;
  std::string text;
  text.reserve(count * line.size());
  for (std::size_t i = 0; i < count; ++i) {
    text += line;
  }
  append(fixture.input_events, text);
  REQUIRE(fixture.wait_for_reports(count));
  fixture.settle();
  CHECK(fixture.origins.size() == count);
  CHECK(fixture.watcher.lines_seen() == count);
}

}  // namespace winebot::node

#include "shared/jsonl/jsonl_appender.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::shared::AppendResult;
using winebot::shared::AppendStatus;
using winebot::shared::FsyncPolicy;
using winebot::shared::JsonlAppender;
using winebot::shared::JsonlAppenderOptions;
using winebot::shared::kMaxLineBytes;
using winebot::shared::TailReader;
using winebot::test::TempFolder;
using Lines = std::vector<std::string>;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Lines split_lines(const std::string& bytes) {
  Lines lines;
  std::istringstream in(bytes);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

JsonlAppenderOptions capped(std::uint64_t max_file_bytes) {
  JsonlAppenderOptions options;
  options.max_file_bytes = max_file_bytes;
  return options;
}

// A record that names its writer and sequence number, padded to a length that varies with both,
// so that interleaved bytes would show up as a malformed line.
std::string numbered_record(int writer, int sequence) {
  const std::size_t padding = static_cast<std::size_t>((writer * 131 + sequence * 17) % 6000);
  return "{\"writer\":" + std::to_string(writer) + ",\"seq\":" + std::to_string(sequence) +
         ",\"pad\":\"" + std::string(padding, static_cast<char>('a' + writer % 26)) + "\"}";
}

// Checks that every line is a whole numbered_record and counts lines per writer.
std::map<int, int> count_whole_records(const std::string& bytes) {
  std::map<int, int> per_writer;
  for (const std::string& line : split_lines(bytes)) {
    int writer = -1;
    int sequence = -1;
    REQUIRE(std::sscanf(line.c_str(), "{\"writer\":%d,\"seq\":%d", &writer, &sequence) == 2);
    REQUIRE(line == numbered_record(writer, sequence));
    ++per_writer[writer];
  }
  return per_writer;
}

}  // namespace

TEST_CASE("JsonlAppender creates the logs folder", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("session-1/logs/lifecycle.jsonl");
  JsonlAppender appender(path);

  CHECK(appender.append("{\"kind\":\"api_started\"}").ok());
  CHECK(appender.append("{\"kind\":\"auto_pause\"}").ok());

  CHECK(read_file(path) == "{\"kind\":\"api_started\"}\n{\"kind\":\"auto_pause\"}\n");
  CHECK(appender.counters().appended == 2);
  CHECK(appender.counters().failed == 0);
}

TEST_CASE("JsonlAppender keeps existing file content", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  std::ofstream(path, std::ios::binary) << "{\"old\":1}\n";

  JsonlAppender appender(path);
  REQUIRE(appender.append("{\"new\":2}").ok());
  CHECK(read_file(path) == "{\"old\":1}\n{\"new\":2}\n");
}

TEST_CASE("JsonlAppender rejects multi-line records", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  JsonlAppender appender(path);

  const std::vector<std::string> invalid = {"", "{\"a\":1}\n", "a\nb", std::string("a\0b", 3)};
  for (const std::string& record : invalid) {
    INFO("record size " << record.size());
    const AppendResult result = appender.append(record);
    CHECK(result.status == AppendStatus::kInvalidRecord);
    CHECK_FALSE(result.error.empty());
  }
  CHECK(appender.counters().invalid_records == invalid.size());
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("JsonlAppender rejects over-long records", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  JsonlAppender appender(path);

  const AppendResult too_long = appender.append(std::string(kMaxLineBytes + 1, 'x'));
  CHECK(too_long.status == AppendStatus::kInvalidRecord);
  CHECK_THAT(too_long.error, Catch::Contains("more than the maximum"));

  CHECK(appender.append(std::string(kMaxLineBytes, 'x')).ok());
  CHECK(std::filesystem::file_size(path) == kMaxLineBytes + 1);
}

TEST_CASE("JsonlAppender rejects appends to a full file", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("perf_metrics.jsonl");
  JsonlAppender appender(path, capped(30));

  CHECK(appender.append("0123456789").ok());  // 11 bytes
  CHECK(appender.append("0123456789").ok());  // 22 bytes
  const AppendResult full = appender.append("0123456789");
  CHECK(full.status == AppendStatus::kRejectedFileFull);
  CHECK_THAT(full.error, Catch::Contains("max_file_bytes 30"));

  // A shorter record still fits, because the check runs per record.
  CHECK(appender.append("1234567").ok());  // 30 bytes, exactly the limit
  CHECK(appender.append("x").status == AppendStatus::kRejectedFileFull);

  CHECK(std::filesystem::file_size(path) == 30);
  CHECK(appender.counters().appended == 3);
  CHECK(appender.counters().rejected_file_full == 2);
}

TEST_CASE("JsonlAppender appends with fsync per record", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("logs/lifecycle.jsonl");
  JsonlAppenderOptions options;
  options.fsync_policy = FsyncPolicy::kEveryRecord;
  JsonlAppender appender(path, options);

  for (int i = 0; i < 5; ++i) {
    REQUIRE(appender.append("{\"i\":" + std::to_string(i) + "}").ok());
  }
  CHECK(split_lines(read_file(path)).size() == 5);
}

TEST_CASE("JsonlAppender never interleaves concurrent appenders", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("input_events.jsonl");
  constexpr int kWriters = 8;
  constexpr int kRecords = 300;

  // Each thread has its own appender and descriptor, as separate processes would.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int writer = 0; writer < kWriters; ++writer) {
    threads.emplace_back([&, writer] {
      JsonlAppender appender(path);
      for (int sequence = 0; sequence < kRecords; ++sequence) {
        failures += appender.append(numbered_record(writer, sequence)).ok() ? 0 : 1;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  CHECK(failures == 0);
  const std::map<int, int> per_writer = count_whole_records(read_file(path));
  CHECK(per_writer.size() == kWriters);
  for (const auto& [writer, count] : per_writer) {
    INFO("writer " << writer);
    CHECK(count == kRecords);
  }
}

TEST_CASE("JsonlAppender shared by threads writes whole lines", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("input_events.jsonl");
  JsonlAppender appender(path, capped(1ULL << 30));

  std::vector<std::thread> threads;
  for (int writer = 0; writer < 4; ++writer) {
    threads.emplace_back([&, writer] {
      for (int sequence = 0; sequence < 200; ++sequence) {
        appender.append(numbered_record(writer, sequence));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  const std::map<int, int> per_writer = count_whole_records(read_file(path));
  CHECK(per_writer.size() == 4);
  CHECK(appender.counters().appended == 800);
}

TEST_CASE("JsonlAppender never interleaves with another process", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("input_events.jsonl");
  constexpr int kRecords = 500;

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    JsonlAppender appender(path);
    int failures = 0;
    for (int sequence = 0; sequence < kRecords; ++sequence) {
      failures += appender.append(numbered_record(1, sequence)).ok() ? 0 : 1;
    }
    ::_exit(failures == 0 ? 0 : 1);
  }

  JsonlAppender appender(path);
  for (int sequence = 0; sequence < kRecords; ++sequence) {
    CHECK(appender.append(numbered_record(0, sequence)).ok());
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  const std::map<int, int> per_writer = count_whole_records(read_file(path));
  CHECK(per_writer.at(0) == kRecords);
  CHECK(per_writer.at(1) == kRecords);
}

TEST_CASE("JsonlAppender enforces the size limit across appenders", "[jsonl]") {
  TempFolder folder;
  constexpr std::uint64_t kLimit = 10000;
  const std::string record(99, 'r');  // 100 bytes per line, so exactly 100 lines fit

  // The race between the size check and the write happens once per file, when the limit is
  // reached, so the scenario is repeated to make an unlocked check fail reliably.
  for (int round = 0; round < 40; ++round) {
    INFO("round " << round);
    const auto path = folder.file("perf_metrics_" + std::to_string(round) + ".jsonl");
    std::atomic<int> appended{0};
    std::atomic<int> rejected{0};
    std::latch start(6);
    std::vector<std::thread> threads;
    for (int writer = 0; writer < 6; ++writer) {
      threads.emplace_back([&] {
        JsonlAppender appender(path, capped(kLimit));
        start.arrive_and_wait();
        for (int i = 0; i < 30; ++i) {
          const AppendResult result = appender.append(record);
          appended += result.status == AppendStatus::kAppended ? 1 : 0;
          rejected += result.status == AppendStatus::kRejectedFileFull ? 1 : 0;
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }

    REQUIRE(std::filesystem::file_size(path) == kLimit);
    REQUIRE(appended == 100);
    REQUIRE(rejected == 80);
  }
}

TEST_CASE("JsonlAppender reopens a file renamed away", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  JsonlAppender appender(path);
  REQUIRE(appender.append("before").ok());

  std::filesystem::rename(path, folder.file("lifecycle.jsonl.1"));
  REQUIRE(appender.append("after").ok());

  CHECK(read_file(folder.file("lifecycle.jsonl.1")) == "before\n");
  CHECK(read_file(path) == "after\n");
}

TEST_CASE("JsonlAppender recreates a deleted logs folder", "[jsonl]") {
  TempFolder folder;
  const auto logs = folder.file("logs");
  const auto path = logs / "lifecycle.jsonl";
  JsonlAppender appender(path);
  REQUIRE(appender.append("first").ok());

  std::filesystem::remove_all(logs);
  REQUIRE(appender.append("second").ok());
  CHECK(read_file(path) == "second\n");
}

TEST_CASE("JsonlAppender returns folder errors as values", "[jsonl]") {
  TempFolder folder;
  std::ofstream(folder.file("logs"), std::ios::binary) << "a file, not a folder";
  JsonlAppender appender(folder.file("logs/lifecycle.jsonl"));

  AppendResult result;
  REQUIRE_NOTHROW(result = appender.append("{\"a\":1}"));
  CHECK(result.status == AppendStatus::kFailed);
  CHECK_THAT(result.error, Catch::Contains("logs/lifecycle.jsonl"));
  CHECK(appender.counters().failed == 1);
}

TEST_CASE("JsonlAppender rejects a FIFO path", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);

  // With no reader on the FIFO, open() must fail at once instead of waiting.
  JsonlAppender appender(path);
  const AppendResult result = appender.append("{\"a\":1}");
  CHECK(result.status == AppendStatus::kFailed);
}

TEST_CASE("JsonlAppender reports a short write", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");

  // RLIMIT_FSIZE makes the kernel cut the write short. It is set in a child process so that the
  // limit and the ignored SIGXFSZ do not leak into other tests.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{25, 25};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
      ::_exit(10);
    }
    JsonlAppender appender(path);
    if (!appender.append("0123456789").ok()) {
      ::_exit(11);
    }
    const AppendResult result = appender.append("0123456789abcdefghij");
    const bool reported = result.status == AppendStatus::kFailed &&
                          result.error.find("short write") != std::string::npos &&
                          appender.counters().failed == 1;
    ::_exit(reported ? 0 : 12);
  }

  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_file(path).starts_with("0123456789\n0123456789abcd"));
}

TEST_CASE("JsonlAppender output reads back through TailReader", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("logs/lifecycle.jsonl");
  JsonlAppender appender(path);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(appender.append("{\"i\":" + std::to_string(i) + "}").ok());
  }

  const auto result = TailReader().read_last_lines(path, 3);
  REQUIRE(result.ok());
  CHECK(result.lines == Lines{"{\"i\":7}", "{\"i\":8}", "{\"i\":9}"});
}

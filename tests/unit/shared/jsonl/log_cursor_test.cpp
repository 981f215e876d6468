#include "shared/jsonl/log_cursor.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::shared::CursorParseResult;
using winebot::shared::CursorReadResult;
using winebot::shared::CursorRestart;
using winebot::shared::fingerprint_bytes;
using winebot::shared::kFingerprintBytes;
using winebot::shared::kMaxCursorTokenChars;
using winebot::shared::LineReaderOptions;
using winebot::shared::LogCursor;
using winebot::shared::parse_log_cursor;
using winebot::shared::read_after;
using winebot::test::TempFolder;
using Lines = std::vector<std::string>;

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void append_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

Lines texts(const CursorReadResult& result) {
  Lines lines;
  for (const auto& record : result.records) {
    lines.push_back(record.text);
  }
  return lines;
}

// Encodes arbitrary bytes as unpadded base64url, to build tokens the encoder would never make.
std::string base64url(std::string_view bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char byte : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(byte);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) {
    out += kAlphabet[(bits << (6 - count)) & 0x3F];
  }
  return out;
}

const std::string kEmptyFingerprintHex = "cbf29ce484222325";

}  // namespace

TEST_CASE("LogCursor token round-trips through parse_log_cursor", "[jsonl]") {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  const std::vector<LogCursor> cursors = {
      LogCursor{},
      {2049, 1234567, 88, false, fingerprint_bytes("{\"a\":1}\n")},
      {kMax, kMax, kMax, true, kMax},
      {0, 0, 1, false, 0},
  };
  for (const LogCursor& cursor : cursors) {
    const std::string token = cursor.to_token();
    INFO("token " << token);
    CHECK(token.size() <= kMaxCursorTokenChars);
    CHECK(token.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);

    const CursorParseResult parsed = parse_log_cursor(token);
    REQUIRE(parsed.ok());
    CHECK(parsed.cursor == cursor);
  }
}

TEST_CASE("LogCursor largest token has 115 characters", "[jsonl]") {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  CHECK(LogCursor{kMax, kMax, kMax, true, kMax}.to_token().size() == 115);
}

TEST_CASE("LogCursor token encodes a versioned text", "[jsonl]") {
  const LogCursor cursor{7, 42, 100, true, 0xABCDEF};
  CHECK(cursor.to_token() == base64url("wbc1.7.42.100.1.0000000000abcdef"));
}

TEST_CASE("parse_log_cursor rejects malformed tokens", "[jsonl]") {
  struct Case {
    std::string token;
    std::string message;
  };
  const std::string valid_tail = "." + kEmptyFingerprintHex;
  const std::vector<Case> cases = {
      {"", "it is empty"},
      {std::string(kMaxCursorTokenChars + 1, 'A'), "characters long"},
      {"d2JjMS4x+A", "not in the base64url alphabet"},
      {"d2JjMS4x/A", "not in the base64url alphabet"},
      {"d2JjMS4x==", "not in the base64url alphabet"},
      {"d2JjM", "not a valid base64url length"},
      {"d2JjMR", "nonzero unused bits"},
      {std::string("d2Jj\0MS4xA", 10), "not in the base64url alphabet"},
      {base64url("wbc2.1.2.3.0.0000000000000000"), "unsupported cursor version"},
      {base64url("wbc1.1.2.3.0"), "fields"},
      {base64url("wbc1.1.2.3.0.0000000000000000.9"), "fields"},
      {base64url("wbc1.01.2.3.0.0000000000000000"), "canonical unsigned decimals"},
      {base64url("wbc1.1.-2.3.0.0000000000000000"), "canonical unsigned decimals"},
      {base64url("wbc1.1.+2.3.0.0000000000000000"), "canonical unsigned decimals"},
      {base64url("wbc1.1.2..0.0000000000000000"), "canonical unsigned decimals"},
      {base64url("wbc1.1.2.18446744073709551616.0.0000000000000000"), "canonical unsigned"},
      {base64url("wbc1.1.2. 3.0.0000000000000000"), "canonical unsigned decimals"},
      {base64url("wbc1.1.2.3.2.0000000000000000"), "long-line flag"},
      {base64url("wbc1.1.2.3.0.000000000000000"), "16 lowercase hex digits"},
      {base64url("wbc1.1.2.3.0.00000000000000000"), "16 lowercase hex digits"},
      {base64url("wbc1.1.2.3.0.ABCDEF0000000000"), "16 lowercase hex digits"},
      {base64url("wbc1.1.2.3.0.+bcdef0000000000"), "16 lowercase hex digits"},
      {base64url("wbc1.1.2.0.1" + valid_tail), "offset 0"},
      {base64url("wbc1.1.2.0.0.0000000000000001"), "offset 0"},
      {base64url(std::string("wbc1.1.2.3.0.000000000000000\xFF", 29)), "hex digits"},
  };
  for (const Case& test : cases) {
    INFO("token " << test.token);
    const CursorParseResult parsed = parse_log_cursor(test.token);
    CHECK_FALSE(parsed.ok());
    CHECK_THAT(parsed.error, Catch::StartsWith("invalid cursor token: "));
    CHECK_THAT(parsed.error, Catch::Contains(test.message));
  }
}

TEST_CASE("parse_log_cursor accepts a start cursor", "[jsonl]") {
  const CursorParseResult parsed =
      parse_log_cursor(base64url("wbc1.5.6.0.0." + kEmptyFingerprintHex));
  REQUIRE(parsed.ok());
  CHECK(parsed.cursor == LogCursor{5, 6, 0, false, fingerprint_bytes({})});
}

TEST_CASE("read_after from the start returns complete lines", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "{\"a\":1}\r\n\n{\"b\":2}\n  \n{\"c\":3}\n");

  const CursorReadResult result = read_after(path, LogCursor{}, 100);
  REQUIRE(result.ok());
  CHECK(texts(result) == Lines{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
  CHECK(result.records[1].offset == 10);
  CHECK(result.next.offset == 29);
  CHECK_FALSE(result.next.inside_long_line);
  CHECK(result.restart == CursorRestart::kNone);

  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK(result.next.device == info.st_dev);
  CHECK(result.next.inode == info.st_ino);
  CHECK(result.next.fingerprint == fingerprint_bytes("{\"a\":1}\r\n\n{\"b\":2}\n  \n{\"c\":3}\n"));
}

TEST_CASE("read_after holds back a torn last line", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "{\"a\":1}\n{\"b\":");

  const CursorReadResult first = read_after(path, LogCursor{}, 100);
  CHECK(texts(first) == Lines{"{\"a\":1}"});
  CHECK(first.next.offset == 8);

  // Nothing new is complete yet, so the same cursor comes back.
  const CursorReadResult again = read_after(path, first.next, 100);
  CHECK(again.records.empty());
  CHECK(again.next == first.next);

  append_file(path, "2}\n");
  const CursorReadResult completed = read_after(path, again.next, 100);
  CHECK(texts(completed) == Lines{"{\"b\":2}"});
  CHECK(completed.records[0].offset == 8);
  CHECK(completed.next.offset == 16);
}

TEST_CASE("read_after pages without duplicates or gaps", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("perf_metrics.jsonl");
  Lines expected;
  std::string bytes;
  for (int i = 0; i < 50; ++i) {
    expected.push_back("{\"seq\":" + std::to_string(i) + "}");
    bytes += expected.back() + "\n";
  }
  write_file(path, bytes);

  for (std::size_t page = 1; page <= 7; ++page) {
    INFO("page " << page);
    Lines seen;
    LogCursor cursor;
    for (int call = 0; call < 100; ++call) {
      const CursorReadResult result = read_after(path, cursor, page);
      REQUIRE(result.ok());
      REQUIRE(result.records.size() <= page);
      const Lines batch = texts(result);
      seen.insert(seen.end(), batch.begin(), batch.end());
      if (result.records.empty()) {
        break;
      }
      cursor = result.next;
    }
    CHECK(seen == expected);
  }
}

TEST_CASE("read_after resumes from a parsed token", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("input_events.jsonl");
  write_file(path, "one\ntwo\n");
  const std::string token = read_after(path, LogCursor{}, 1).next.to_token();

  // A new process has only the token.
  append_file(path, "three\n");
  const CursorParseResult parsed = parse_log_cursor(token);
  REQUIRE(parsed.ok());
  const CursorReadResult result = read_after(path, parsed.cursor, 10);
  CHECK(texts(result) == Lines{"two", "three"});
  CHECK(result.restart == CursorRestart::kNone);
}

TEST_CASE("read_after restarts at a replaced file", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "old 1\nold 2\n");
  const CursorReadResult first = read_after(path, LogCursor{}, 10);
  REQUIRE(first.records.size() == 2);

  std::filesystem::rename(path, folder.file("lifecycle.jsonl.1"));
  write_file(path, "new 1\nnew 2\nnew 3\n");

  const CursorReadResult result = read_after(path, first.next, 10);
  CHECK(result.restart == CursorRestart::kFileReplaced);
  CHECK(texts(result) == Lines{"new 1", "new 2", "new 3"});
  CHECK(result.next.offset == 18);
  CHECK(result.next.inode != first.next.inode);
}

TEST_CASE("read_after restarts at a copied file", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "same 1\nsame 2\n");
  const CursorReadResult first = read_after(path, LogCursor{}, 10);

  // Same bytes, new inode. Without the inode the copy cannot be distinguished from a new log.
  const auto copy = folder.file("copy");
  std::filesystem::copy_file(path, copy);
  std::filesystem::rename(copy, path);
  const CursorReadResult result = read_after(path, first.next, 10);
  CHECK(result.restart == CursorRestart::kFileReplaced);
  CHECK(texts(result) == Lines{"same 1", "same 2"});
}

TEST_CASE("read_after restarts at a truncated file", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "line 1\nline 2\nline 3\n");
  const CursorReadResult first = read_after(path, LogCursor{}, 10);

  // As with logrotate's copytruncate, the same inode restarts with fewer bytes than the offset.
  write_file(path, "fresh\n");
  const CursorReadResult result = read_after(path, first.next, 10);
  CHECK(result.restart == CursorRestart::kFileTruncated);
  CHECK(texts(result) == Lines{"fresh"});
  CHECK(result.next.offset == 6);
}

TEST_CASE("read_after restarts when the file head changed", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "{\"t\":1}\n{\"t\":2}\n");
  const CursorReadResult first = read_after(path, LogCursor{}, 10);

  // Truncated and refilled past the old offset before the next read.
  write_file(path, "{\"t\":3}\n{\"t\":4}\n{\"t\":5}\n");
  const CursorReadResult result = read_after(path, first.next, 10);
  CHECK(result.restart == CursorRestart::kContentChanged);
  CHECK(texts(result) == Lines{"{\"t\":3}", "{\"t\":4}", "{\"t\":5}"});
}

TEST_CASE("read_after restarts at a moved line boundary", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  const std::string head(kFingerprintBytes + 10, 'h');
  write_file(path, head + "\nshort\n");
  const CursorReadResult first = read_after(path, LogCursor{}, 10);
  REQUIRE(first.next.offset == head.size() + 7);

  // Same first kFingerprintBytes bytes, but the old offset now falls inside a line.
  write_file(path, head + "\nmuch longer line\n");
  const CursorReadResult result = read_after(path, first.next, 10);
  CHECK(result.restart == CursorRestart::kContentChanged);
  CHECK(texts(result) == Lines{head, "much longer line"});
}

TEST_CASE("read_after tolerates a changed device number", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "one\ntwo\n");
  LogCursor cursor = read_after(path, LogCursor{}, 1).next;
  cursor.device += 1;

  const CursorReadResult result = read_after(path, cursor, 10);
  CHECK(result.restart == CursorRestart::kNone);
  CHECK(texts(result) == Lines{"two"});
}

TEST_CASE("read_after restarts on changed device and head", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "one\ntwo\n");
  LogCursor cursor = read_after(path, LogCursor{}, 1).next;
  cursor.device += 1;
  write_file(path, "ONE\ntwo\n");

  const CursorReadResult result = read_after(path, cursor, 10);
  CHECK(result.restart == CursorRestart::kFileReplaced);
  CHECK(texts(result) == Lines{"ONE", "two"});
}

TEST_CASE("read_after keeps the cursor of a missing file", "[jsonl]") {
  TempFolder folder;
  const LogCursor cursor{1, 2, 3, false, 4};
  const CursorReadResult result = read_after(folder.file("absent.jsonl"), cursor, 10);
  CHECK(result.ok());
  CHECK(result.file_missing);
  CHECK(result.records.empty());
  CHECK(result.next == cursor);
}

TEST_CASE("read_after rejects a folder path", "[jsonl]") {
  TempFolder folder;
  std::filesystem::create_directory(folder.file("logs"));
  const CursorReadResult result = read_after(folder.file("logs"), LogCursor{}, 10);
  CHECK_FALSE(result.ok());
  CHECK_THAT(result.error, Catch::Contains("not a regular file"));
}

TEST_CASE("read_after returns nothing for zero max_records", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "one\n");
  const CursorReadResult result = read_after(path, LogCursor{}, 0);
  CHECK(result.ok());
  CHECK(result.records.empty());
  CHECK(result.next.offset == 0);
}

TEST_CASE("read_after moves past a trailing NUL run", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, std::string("A\n\0\0\0", 5));

  const CursorReadResult first = read_after(path, LogCursor{}, 10);
  CHECK(texts(first) == Lines{"A"});
  CHECK(first.next.offset == 5);

  append_file(path, "B\n");
  const CursorReadResult second = read_after(path, first.next, 10);
  CHECK(second.restart == CursorRestart::kNone);
  CHECK(texts(second) == Lines{"B"});
}

TEST_CASE("read_after skips an over-long line once", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "ok\n" + std::string(200, 'x'));

  LineReaderOptions options;
  options.block_bytes = 16;
  options.max_line_bytes = 32;
  options.max_scan_bytes = 64;

  // The unterminated over-long line is skipped in place, so the cursor moves into it.
  CursorReadResult result = read_after(path, LogCursor{}, 10, options);
  CHECK(texts(result) == Lines{"ok"});
  for (int call = 0; call < 10 && result.next.offset < 203; ++call) {
    result = read_after(path, result.next, 10, options);
    REQUIRE(result.ok());
    CHECK(result.records.empty());
  }
  CHECK(result.next.offset == 203);
  CHECK(result.next.inside_long_line);

  // The token carries the skip state across a restart.
  const CursorParseResult parsed = parse_log_cursor(result.next.to_token());
  REQUIRE(parsed.ok());
  append_file(path, "xxxx\nafter\n");
  result = read_after(path, parsed.cursor, 10, options);
  CHECK(result.restart == CursorRestart::kNone);
  CHECK(texts(result) == Lines{"after"});
  CHECK(result.skipped_long_lines == 1);
  CHECK_FALSE(result.next.inside_long_line);
}

TEST_CASE("read_after retries a file truncated mid-read", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "old line 1\nold line 2\nold line 3\n");

  int calls = 0;
  LineReaderOptions options;
  options.block_bytes = 8;
  options.after_block_read = [&] {
    if (++calls == 1) {
      write_file(path, "new\n");
    }
  };
  const CursorReadResult result = read_after(path, LogCursor{}, 10, options);
  REQUIRE(result.ok());
  CHECK(texts(result) == Lines{"new"});
  CHECK(result.next.offset == 4);
  CHECK(result.next.fingerprint == fingerprint_bytes("new\n"));
}

TEST_CASE("read_after fails when every attempt is truncated", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, std::string(100, 'x').append("\n"));

  LineReaderOptions options;
  options.block_bytes = 8;
  options.after_block_read = [&] {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  };
  const LogCursor cursor{};
  const CursorReadResult result = read_after(path, cursor, 10, options);
  CHECK_FALSE(result.ok());
  CHECK_THAT(result.error, Catch::Contains("Retry the request"));
  CHECK(result.records.empty());
  CHECK(result.next == cursor);
}

TEST_CASE("read_after fingerprints at most kFingerprintBytes of the head", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  const std::string first_line(kFingerprintBytes + 100, 'a');
  write_file(path, first_line + "\nb\n");

  const CursorReadResult result = read_after(path, LogCursor{}, 1);
  REQUIRE(result.records.size() == 1);
  CHECK(result.next.fingerprint == fingerprint_bytes(std::string(kFingerprintBytes, 'a')));

  const CursorReadResult short_read = read_after(path, LogCursor{}, 0);
  CHECK(short_read.next.fingerprint == fingerprint_bytes({}));
}

TEST_CASE("read_after returns each record once during appends", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("lifecycle.jsonl");
  write_file(path, "");

  // Records arrive in uneven pieces, so reads often see a torn last line.
  std::mt19937 random(11);
  std::string pending;
  Lines written;
  Lines seen;
  LogCursor cursor;
  for (int i = 0; i < 300; ++i) {
    written.push_back("{\"seq\":" + std::to_string(i) + "}");
    pending += written.back() + "\n";
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, pending.size())(random);
    append_file(path, pending.substr(0, cut));
    pending.erase(0, cut);

    const CursorReadResult result = read_after(path, cursor, 3);
    REQUIRE(result.ok());
    const Lines batch = texts(result);
    seen.insert(seen.end(), batch.begin(), batch.end());
    cursor = result.next;
  }
  append_file(path, pending);
  for (int call = 0; call < 1000; ++call) {
    const CursorReadResult result = read_after(path, cursor, 3);
    const Lines batch = texts(result);
    seen.insert(seen.end(), batch.begin(), batch.end());
    if (batch.empty()) {
      break;
    }
    cursor = result.next;
  }
  CHECK(seen == written);
}

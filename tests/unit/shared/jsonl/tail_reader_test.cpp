#include "shared/jsonl/tail_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::shared::ForwardPosition;
using winebot::shared::ForwardReadResult;
using winebot::shared::kMaxLineBytes;
using winebot::shared::LineReaderOptions;
using winebot::shared::LineRecord;
using winebot::shared::read_complete_lines;
using winebot::shared::ReadOnlyFile;
using winebot::shared::replace_invalid_utf8;
using winebot::shared::TailReader;
using winebot::shared::TailResult;
using winebot::test::TempFolder;
using Lines = std::vector<std::string>;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

LineReaderOptions small_blocks(std::size_t block_bytes, std::size_t max_line_bytes = 1024) {
  LineReaderOptions options;
  options.block_bytes = block_bytes;
  options.max_line_bytes = max_line_bytes;
  return options;
}

TailResult tail_bytes(std::string_view bytes, std::size_t limit, LineReaderOptions options = {}) {
  TempFolder folder;
  const auto path = folder.file("log.jsonl");
  write_file(path, bytes);
  return TailReader(std::move(options)).read_last_lines(path, limit);
}

ForwardReadResult forward_bytes(std::string_view bytes, ForwardPosition from, std::size_t max_lines,
                                const LineReaderOptions& options = {}) {
  TempFolder folder;
  const auto path = folder.file("log.jsonl");
  write_file(path, bytes);
  auto opened = ReadOnlyFile::open(path);
  REQUIRE(opened.ok());
  REQUIRE(opened.file);
  return read_complete_lines(*opened.file, from, bytes.size(), max_lines, options);
}

// Reference UTF-8 repair, built independently of the reader: a byte string is a maximal subpart
// when it is the longest prefix of some well-formed sequence, found by encoding every scalar value.
class Utf8Reference {
 public:
  Utf8Reference() {
    // UTF-8 keeps code point order, so each list grows in sorted order and needs no sort.
    for (std::uint32_t code_point = 0x80; code_point <= 0x10FFFF; ++code_point) {
      if (code_point >= 0xD800 && code_point <= 0xDFFF) {
        continue;
      }
      const std::string encoded = encode(code_point);
      for (std::size_t length = 1; length < encoded.size(); ++length) {
        add(proper_prefixes_[length], pack(std::string_view(encoded).substr(0, length)));
      }
      add(complete_[encoded.size()], pack(encoded));
    }
  }

  std::string repair(std::string_view bytes) const {
    std::string out;
    std::size_t i = 0;
    while (i < bytes.size()) {
      if (static_cast<unsigned char>(bytes[i]) < 0x80) {
        out.push_back(bytes[i++]);
        continue;
      }
      std::size_t complete_length = 0;
      std::size_t longest_prefix = 0;
      for (std::size_t length = 1; length <= 4 && i + length <= bytes.size(); ++length) {
        const std::uint32_t key = pack(bytes.substr(i, length));
        if (contains(complete_[length], key)) {
          complete_length = length;
        } else if (contains(proper_prefixes_[length], key)) {
          longest_prefix = length;
        }
      }
      if (complete_length > 0) {
        out += bytes.substr(i, complete_length);
        i += complete_length;
      } else {
        out += kReplacement;
        i += std::max<std::size_t>(longest_prefix, 1);
      }
    }
    return out;
  }

 private:
  static std::uint32_t pack(std::string_view bytes) {
    std::uint32_t key = 0;
    for (const char byte : bytes) {
      key = (key << 8) | static_cast<unsigned char>(byte);
    }
    return key;
  }

  static void add(std::vector<std::uint32_t>& keys, std::uint32_t key) {
    if (keys.empty() || keys.back() != key) {
      keys.push_back(key);
    }
  }

  static bool contains(const std::vector<std::uint32_t>& keys, std::uint32_t key) {
    return std::binary_search(keys.begin(), keys.end(), key);
  }

  static std::string encode(std::uint32_t cp) {
    std::string out;
    if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    }
    out += static_cast<char>(0x80 | (cp & 0x3F));
    return out;
  }

  // Indexed by length in bytes, 1 to 4.
  std::array<std::vector<std::uint32_t>, 5> proper_prefixes_;
  std::array<std::vector<std::uint32_t>, 5> complete_;
};

const Utf8Reference& utf8_reference() {
  static const Utf8Reference reference;
  return reference;
}

// One line as the whole-file reference reader sees it.
struct ReferenceLine {
  std::string raw;
  std::uint64_t offset = 0;
  bool terminated = false;
};

std::vector<ReferenceLine> split_whole_file(std::string_view bytes) {
  std::vector<ReferenceLine> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    const bool at_end = i == bytes.size();
    if (at_end || bytes[i] == '\n' || bytes[i] == '\0') {
      lines.push_back({std::string(bytes.substr(start, i - start)), start, !at_end});
      start = i + 1;
    }
  }
  return lines;
}

bool is_blank(std::string_view raw) {
  if (!raw.empty() && raw.back() == '\r') {
    raw.remove_suffix(1);
  }
  return raw.find_first_not_of(" \t\r\v\f") == std::string_view::npos;
}

std::string reference_text(std::string_view raw) {
  if (!raw.empty() && raw.back() == '\r') {
    raw.remove_suffix(1);
  }
  return utf8_reference().repair(raw);
}

struct ReferenceTail {
  Lines lines;
  std::size_t skipped_long_lines = 0;
};

// Whole-file reference for read_last_lines: the newest `limit` non-blank lines, where over-long
// lines take a place but are not returned.
ReferenceTail reference_tail(std::string_view bytes, std::size_t limit, std::size_t max_line) {
  std::vector<ReferenceLine> kept;
  for (const ReferenceLine& line : split_whole_file(bytes)) {
    if (line.raw.size() > max_line || !is_blank(line.raw)) {
      kept.push_back(line);
    }
  }
  const std::size_t first = kept.size() > limit ? kept.size() - limit : 0;
  ReferenceTail tail;
  for (std::size_t i = first; i < kept.size(); ++i) {
    if (kept[i].raw.size() > max_line) {
      ++tail.skipped_long_lines;
    } else {
      tail.lines.push_back(reference_text(kept[i].raw));
    }
  }
  return tail;
}

// Whole-file reference for read_complete_lines from offset 0.
std::vector<LineRecord> reference_complete_lines(std::string_view bytes, std::size_t max_line,
                                                 std::size_t* skipped_long_lines = nullptr) {
  std::vector<LineRecord> records;
  for (const ReferenceLine& line : split_whole_file(bytes)) {
    if (!line.terminated) {
      continue;
    }
    if (line.raw.size() > max_line) {
      if (skipped_long_lines != nullptr) {
        ++*skipped_long_lines;
      }
    } else if (!is_blank(line.raw)) {
      records.push_back({reference_text(line.raw), line.offset});
    }
  }
  return records;
}

std::string random_file(std::mt19937& random) {
  static const std::vector<std::string> kPieces = {"a",
                                                   "bc",
                                                   "{\"k\":1}",
                                                   "0123456789",
                                                   "\n",
                                                   "\n",
                                                   "\r\n",
                                                   "\r",
                                                   " ",
                                                   "\t",
                                                   std::string(1, '\0'),
                                                   std::string(3, '\0'),
                                                   "\xC3\xA9",
                                                   "\xE2\x82\xAC",
                                                   "\xF0\x9F\x98\x80",
                                                   "\xFF",
                                                   "\xC3",
                                                   "\xED\xA0\x80",
                                                   "\xE2\x82",
                                                   "\xF4\x90\x80\x80"};
  std::uniform_int_distribution<std::size_t> piece_count(0, 60);
  std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
  std::string bytes;
  for (std::size_t n = piece_count(random); n > 0; --n) {
    bytes += kPieces[pick(random)];
  }
  return bytes;
}

}  // namespace

TEST_CASE("TailReader returns nothing for a missing file", "[jsonl]") {
  TempFolder folder;
  const TailResult result = TailReader().read_last_lines(folder.file("absent.jsonl"), 10);
  CHECK(result.ok());
  CHECK(result.lines.empty());
}

TEST_CASE("TailReader returns nothing for an empty file", "[jsonl]") {
  const TailResult result = tail_bytes("", 10);
  CHECK(result.ok());
  CHECK(result.lines.empty());
}

TEST_CASE("TailReader returns nothing for a zero limit", "[jsonl]") {
  const TailResult result = tail_bytes("a\nb\n", 0);
  CHECK(result.ok());
  CHECK(result.lines.empty());
}

TEST_CASE("TailReader returns the newest lines oldest first", "[jsonl]") {
  const std::string bytes = "one\ntwo\nthree\nfour\n";
  CHECK(tail_bytes(bytes, 2).lines == Lines{"three", "four"});
  CHECK(tail_bytes(bytes, 4).lines == Lines{"one", "two", "three", "four"});
  CHECK(tail_bytes(bytes, 100).lines == Lines{"one", "two", "three", "four"});
  CHECK(tail_bytes(bytes, 2, small_blocks(3)).lines == Lines{"three", "four"});
}

TEST_CASE("TailReader returns a final line without newline", "[jsonl]") {
  CHECK(tail_bytes("one\ntwo\n{\"torn\":", 2).lines == Lines{"two", "{\"torn\":"});
  CHECK(tail_bytes("only", 5).lines == Lines{"only"});
  CHECK(tail_bytes("one\ntwo", 1, small_blocks(2)).lines == Lines{"two"});
}

TEST_CASE("TailReader does not count blank lines", "[jsonl]") {
  CHECK(tail_bytes("A\n\n\nB\n", 2).lines == Lines{"A", "B"});
  CHECK(tail_bytes("A\n \t\r\n\v\f\nB\n\n\n", 2).lines == Lines{"A", "B"});
  CHECK(tail_bytes("\n\n\n", 3).lines.empty());
  CHECK(tail_bytes(" x \n", 1).lines == Lines{" x "});
}

TEST_CASE("TailReader strips CR before LF", "[jsonl]") {
  CHECK(tail_bytes("A\r\nB\r\n", 2).lines == Lines{"A", "B"});
  CHECK(tail_bytes("A\r\r\n", 1).lines == Lines{"A\r"});
  CHECK(tail_bytes("A\rB\n", 1).lines == Lines{"A\rB"});
  CHECK(tail_bytes("A\r\nB\r", 2).lines == Lines{"A", "B"});
}

TEST_CASE("TailReader strips CR split at a block edge", "[jsonl]") {
  const std::string bytes = "abc\r\ndef\r\nghi\r\n";
  for (std::size_t block = 1; block <= bytes.size() + 1; ++block) {
    INFO("block_bytes " << block);
    CHECK(tail_bytes(bytes, 3, small_blocks(block)).lines == Lines{"abc", "def", "ghi"});
  }
}

TEST_CASE("TailReader returns lines longer than a block", "[jsonl]") {
  const std::string long_line(1000, 'x');
  const std::string bytes = "first\n" + long_line + "\nlast\n";
  CHECK(tail_bytes(bytes, 3, small_blocks(7)).lines == Lines{"first", long_line, "last"});
  CHECK(tail_bytes(bytes, 2, small_blocks(1)).lines == Lines{long_line, "last"});
}

TEST_CASE("TailReader skips and counts an over-long line", "[jsonl]") {
  const std::string bytes = "short\n0123456789\nlast\n";

  const TailResult three = tail_bytes(bytes, 3, small_blocks(4, 8));
  CHECK(three.lines == Lines{"short", "last"});
  CHECK(three.skipped_long_lines == 1);

  // The skipped line keeps its place in the window, so the limit counts raw lines.
  const TailResult two = tail_bytes(bytes, 2, small_blocks(4, 8));
  CHECK(two.lines == Lines{"last"});
  CHECK(two.skipped_long_lines == 1);

  const TailResult one = tail_bytes(bytes, 1, small_blocks(4, 8));
  CHECK(one.lines == Lines{"last"});
  CHECK(one.skipped_long_lines == 0);
}

TEST_CASE("TailReader keeps a maximum-length line", "[jsonl]") {
  const TailResult result = tail_bytes("12345678\n123456789\n", 2, small_blocks(3, 8));
  CHECK(result.lines == Lines{"12345678"});
  CHECK(result.skipped_long_lines == 1);

  // The limit applies to the raw line, CR included.
  const TailResult with_cr = tail_bytes("1234567\r\n12345678\r\n", 2, small_blocks(3, 8));
  CHECK(with_cr.lines == Lines{"1234567"});
  CHECK(with_cr.skipped_long_lines == 1);
}

TEST_CASE("TailReader skips a line over kMaxLineBytes", "[jsonl]") {
  const std::string at_limit(kMaxLineBytes, 'a');
  const std::string over_limit(kMaxLineBytes + 1, 'b');
  const TailResult result = tail_bytes(at_limit + "\n" + over_limit + "\nend\n", 3);
  REQUIRE(result.lines.size() == 2);
  CHECK(result.lines[0] == at_limit);
  CHECK(result.lines[1] == "end");
  CHECK(result.skipped_long_lines == 1);
}

TEST_CASE("TailReader skips an over-long unterminated line", "[jsonl]") {
  const TailResult result = tail_bytes("ok\n0123456789", 5, small_blocks(4, 8));
  CHECK(result.lines == Lines{"ok"});
  CHECK(result.skipped_long_lines == 1);
}

TEST_CASE("TailReader keeps UTF-8 split at block edges", "[jsonl]") {
  const std::string bytes = "\xC3\xA9t\xC3\xA9\n\xE2\x82\xAC\xF0\x9F\x98\x80\n";
  for (std::size_t block = 1; block <= bytes.size(); ++block) {
    INFO("block_bytes " << block);
    const TailResult result = tail_bytes(bytes, 2, small_blocks(block));
    CHECK(result.lines == Lines{"\xC3\xA9t\xC3\xA9", "\xE2\x82\xAC\xF0\x9F\x98\x80"});
    CHECK(result.invalid_utf8_lines == 0);
  }
}

TEST_CASE("TailReader replaces invalid UTF-8 with U+FFFD", "[jsonl]") {
  const std::string r(kReplacement);
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"a\xFF"
       "b",
       "a" + r + "b"},
      {"\xE2\x82", r},                      // truncated 3-byte sequence is one maximal subpart
      {"\xE2\x82x", r + "x"},               //
      {"\xC0\xAF", r + r},                  // overlong encoding of '/'
      {"\xED\xA0\x80", r + r + r},          // UTF-16 surrogate D800
      {"\xF4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
      {"\xF0\x9F\x98", r},                  // truncated 4-byte sequence
      {"\x80\x80", r + r},                  // stray continuation bytes
      {"\xF8\x88\x80\x80\x80", r + r + r + r + r},
      {"\xEF\xBF\xBD", r},  // U+FFFD itself is valid and kept
  };
  for (const Case& test : cases) {
    INFO("input bytes " << test.input.size());
    CHECK(replace_invalid_utf8(test.input) == test.expected);
    const TailResult result = tail_bytes(test.input + "\n", 1);
    CHECK(result.lines == Lines{test.expected});
    CHECK(result.invalid_utf8_lines == (test.input == test.expected ? 0 : 1));
  }
}

TEST_CASE("replace_invalid_utf8 matches a reference decoder", "[jsonl]") {
  const Utf8Reference& reference = utf8_reference();
  for (int first = 0; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      const std::string input{static_cast<char>(first), static_cast<char>(second)};
      INFO("bytes " << first << " " << second);
      REQUIRE(replace_invalid_utf8(input) == reference.repair(input));
    }
  }

  // Longer inputs from bytes that sit at the edges of the valid ranges.
  // A sized literal, because the first byte is NUL.
  const std::string_view edges(
      "\x00\x7F\x80\x8F\x90\x9F\xA0\xBF\xC0\xC1\xC2\xDF\xE0\xE1\xEC\xED"
      "\xEE\xEF\xF0\xF1\xF3\xF4\xF5\xFF",
      24);
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> pick(0, edges.size() - 1);
  std::uniform_int_distribution<std::size_t> length(3, 8);
  for (int round = 0; round < 100000; ++round) {
    std::string input;
    for (std::size_t n = length(random); n > 0; --n) {
      input += edges[pick(random)];
    }
    REQUIRE(replace_invalid_utf8(input) == reference.repair(input));
  }
}

TEST_CASE("TailReader treats a NUL run as a line break", "[jsonl]") {
  const std::string bytes("{\"a\":1}\n\0\0\0\0{\"b\":2}\n", 21);
  CHECK(tail_bytes(bytes, 5).lines == Lines{"{\"a\":1}", "{\"b\":2}"});
  CHECK(tail_bytes(bytes, 1).lines == Lines{"{\"b\":2}"});

  const std::string torn("{\"a\":\0\0\0", 8);
  CHECK(tail_bytes(torn, 5).lines == Lines{"{\"a\":"});
}

TEST_CASE("TailReader returns nothing for an all-NUL file", "[jsonl]") {
  const std::string zeros(10000, '\0');
  const TailResult result = tail_bytes(zeros, 10, small_blocks(64));
  CHECK(result.ok());
  CHECK(result.lines.empty());
}

TEST_CASE("TailReader rejects a folder path", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("logs");
  std::filesystem::create_directory(path);
  const TailResult result = TailReader().read_last_lines(path, 10);
  CHECK_FALSE(result.ok());
  CHECK_THAT(result.error, Catch::Contains("not a regular file"));
}

TEST_CASE("TailReader rejects a FIFO without blocking", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  const TailResult result = TailReader().read_last_lines(path, 10);
  CHECK_FALSE(result.ok());
  CHECK_THAT(result.error, Catch::Contains("not a regular file"));
}

TEST_CASE("TailReader rejects unusable options", "[jsonl]") {
  CHECK_FALSE(TailReader(small_blocks(0)).read_last_lines("/nonexistent", 1).ok());
  CHECK_FALSE(TailReader(small_blocks(16, 0)).read_last_lines("/nonexistent", 1).ok());

  LineReaderOptions options;
  options.max_scan_bytes = options.max_line_bytes;
  CHECK_THAT(options.validate(), Catch::Contains("max_scan_bytes"));
  CHECK(LineReaderOptions{}.validate().empty());
}

TEST_CASE("TailReader reads one block for a short tail", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("big.jsonl");
  std::string bytes;
  for (int i = 0; i < 200000; ++i) {
    bytes += "{\"seq\":" + std::to_string(i) + ",\"pad\":\"xxxxxxxxxxxxxxxx\"}\n";
  }
  write_file(path, bytes);

  std::size_t blocks_read = 0;
  LineReaderOptions options = small_blocks(4096);
  options.after_block_read = [&] { ++blocks_read; };
  const TailResult result = TailReader(options).read_last_lines(path, 3);

  REQUIRE(result.lines.size() == 3);
  CHECK(result.lines[2] == "{\"seq\":199999,\"pad\":\"xxxxxxxxxxxxxxxx\"}");
  CHECK(blocks_read == 1);
}

TEST_CASE("TailReader stops at the scan limit", "[jsonl]") {
  const std::string bytes = "old\n" + std::string(100, '\0') + "new\n";
  LineReaderOptions options = small_blocks(10, 8);
  options.max_scan_bytes = 50;
  const TailResult result = tail_bytes(bytes, 2, options);
  CHECK(result.ok());
  CHECK(result.scan_limit_reached);
  CHECK(result.lines == Lines{"new"});
}

TEST_CASE("TailReader filter counts only matching lines", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("input.jsonl");
  write_file(path, "agent 1\nuser 1\nagent 2\nuser 2\n0123456789abc\nuser 3\n");
  const auto is_agent = [](std::string_view line) { return line.starts_with("agent"); };

  const TailResult result =
      TailReader(small_blocks(5, 12)).read_last_matching_lines(path, 2, is_agent);
  CHECK(result.lines == Lines{"agent 1", "agent 2"});
  CHECK(result.skipped_long_lines == 0);
}

TEST_CASE("TailReader retries a file truncated mid-read", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("log.jsonl");
  write_file(path, "old line 1\nold line 2\nold line 3\n");

  int calls = 0;
  LineReaderOptions options = small_blocks(8);
  options.after_block_read = [&] {
    if (++calls == 1) {
      std::filesystem::resize_file(path, 0);
      std::ofstream(path, std::ios::binary | std::ios::app) << "new\n";
    }
  };
  const TailResult result = TailReader(options).read_last_lines(path, 3);
  CHECK(result.ok());
  CHECK(result.lines == Lines{"new"});
}

TEST_CASE("TailReader retries a file replaced mid-read", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("log.jsonl");
  const auto replacement = folder.file("log.jsonl.new");
  write_file(path, "old 1\nold 2\n");
  write_file(replacement, "new 1\nnew 2\n");

  bool replaced = false;
  LineReaderOptions options = small_blocks(4);
  options.after_block_read = [&] {
    if (!replaced) {
      replaced = true;
      std::filesystem::rename(replacement, path);
    }
  };
  const TailResult result = TailReader(options).read_last_lines(path, 2);
  CHECK(result.ok());
  CHECK(result.lines == Lines{"new 1", "new 2"});
}

TEST_CASE("TailReader returns a stale read after replacements", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("log.jsonl");
  write_file(path, "gen 0\n");

  int generation = 0;
  LineReaderOptions options = small_blocks(64);
  options.after_block_read = [&] {
    const auto next = folder.file("next");
    write_file(next, "gen " + std::to_string(++generation) + "\n");
    std::filesystem::rename(next, path);
  };
  const TailResult result = TailReader(options).read_last_lines(path, 1);
  CHECK(result.ok());
  CHECK(result.lines == Lines{"gen 2"});
}

TEST_CASE("TailReader fails when every attempt is truncated", "[jsonl]") {
  TempFolder folder;
  const auto path = folder.file("log.jsonl");
  write_file(path, "line 1\nline 2\nline 3\n");

  // Each block read shrinks the file by one more byte, so no attempt has a stable size.
  LineReaderOptions options = small_blocks(4);
  options.after_block_read = [&] {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  };
  const TailResult result = TailReader(options).read_last_lines(path, 3);
  CHECK_FALSE(result.ok());
  CHECK_THAT(result.error, Catch::Contains("Retry the request"));
  CHECK(result.lines.empty());
}

TEST_CASE("TailReader matches a whole-file reader on random files", "[jsonl]") {
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) {
    std::mt19937 random(seed);
    const std::string bytes = random_file(random);
    const std::size_t block = std::uniform_int_distribution<std::size_t>(1, 9)(random);
    const std::size_t max_line = std::uniform_int_distribution<std::size_t>(1, 40)(random);
    const std::size_t limit = std::uniform_int_distribution<std::size_t>(1, 20)(random);
    INFO("seed " << seed << " block " << block << " max_line " << max_line << " limit " << limit);

    const TailResult result = tail_bytes(bytes, limit, small_blocks(block, max_line));
    const ReferenceTail expected = reference_tail(bytes, limit, max_line);
    REQUIRE(result.ok());
    REQUIRE(result.lines == expected.lines);
    REQUIRE(result.skipped_long_lines == expected.skipped_long_lines);
  }
}

TEST_CASE("read_complete_lines returns terminated lines with offsets", "[jsonl]") {
  const std::string bytes = "a\r\n\nbb\n  \ncc";
  const ForwardReadResult result = forward_bytes(bytes, {}, 10, small_blocks(3));
  REQUIRE(result.ok());
  CHECK(result.lines == std::vector<LineRecord>{{"a", 0}, {"bb", 4}});
  CHECK(result.next == ForwardPosition{10, false});
}

TEST_CASE("read_complete_lines stops after max_lines", "[jsonl]") {
  const std::string bytes = "a\nb\nc\n";
  const ForwardReadResult first = forward_bytes(bytes, {}, 2, small_blocks(64));
  CHECK(first.lines == std::vector<LineRecord>{{"a", 0}, {"b", 2}});
  CHECK(first.next == ForwardPosition{4, false});

  const ForwardReadResult rest = forward_bytes(bytes, first.next, 2, small_blocks(64));
  CHECK(rest.lines == std::vector<LineRecord>{{"c", 4}});
  CHECK(rest.next == ForwardPosition{6, false});
}

TEST_CASE("read_complete_lines splits lines at NUL bytes", "[jsonl]") {
  const std::string bytes("a\0\0b\n\0\0", 7);
  const ForwardReadResult result = forward_bytes(bytes, {}, 10, small_blocks(2));
  CHECK(result.lines == std::vector<LineRecord>{{"a", 0}, {"b", 3}});
  CHECK(result.next == ForwardPosition{7, false});
}

TEST_CASE("read_complete_lines skips an over-long line across reads", "[jsonl]") {
  const std::string bytes = "ok\n" + std::string(100, 'x') + "\nafter\n";
  LineReaderOptions options = small_blocks(10, 8);
  options.max_scan_bytes = 20;

  ForwardReadResult read = forward_bytes(bytes, {}, 10, options);
  CHECK(read.lines == std::vector<LineRecord>{{"ok", 0}});
  CHECK(read.next.inside_long_line);
  CHECK(read.skipped_long_lines == 0);

  std::vector<LineRecord> later;
  std::size_t skipped = 0;
  for (int call = 0; call < 20 && read.next.offset < bytes.size(); ++call) {
    read = forward_bytes(bytes, read.next, 10, options);
    REQUIRE(read.ok());
    later.insert(later.end(), read.lines.begin(), read.lines.end());
    skipped += read.skipped_long_lines;
  }
  CHECK(later == std::vector<LineRecord>{{"after", 104}});
  CHECK(skipped == 1);
  CHECK(read.next == ForwardPosition{bytes.size(), false});
}

TEST_CASE("read_complete_lines matches a whole-file reader on random files", "[jsonl]") {
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) {
    std::mt19937 random(seed);
    const std::string bytes = random_file(random);
    const std::size_t block = std::uniform_int_distribution<std::size_t>(1, 9)(random);
    const std::size_t max_line = std::uniform_int_distribution<std::size_t>(1, 40)(random);
    const std::size_t page = std::uniform_int_distribution<std::size_t>(1, 4)(random);
    INFO("seed " << seed << " block " << block << " max_line " << max_line << " page " << page);

    // A scan limit just above max_line forces reads to stop inside lines and resume.
    LineReaderOptions options = small_blocks(block, max_line);
    options.max_scan_bytes = max_line + 1;

    TempFolder folder;
    write_file(folder.file("log.jsonl"), bytes);
    auto opened = ReadOnlyFile::open(folder.file("log.jsonl"));
    REQUIRE(opened.file);

    std::vector<LineRecord> records;
    std::size_t skipped = 0;
    ForwardPosition position;
    for (int call = 0; call < 10000; ++call) {
      const ForwardReadResult read =
          read_complete_lines(*opened.file, position, bytes.size(), page, options);
      REQUIRE(read.ok());
      records.insert(records.end(), read.lines.begin(), read.lines.end());
      skipped += read.skipped_long_lines;
      if (read.next == position && read.lines.empty()) {
        break;
      }
      position = read.next;
    }

    std::size_t expected_skipped = 0;
    REQUIRE(records == reference_complete_lines(bytes, max_line, &expected_skipped));
    REQUIRE(skipped == expected_skipped);
  }
}

// libFuzzer target for cursor tokens.
//
// Parses the input as a token. A token that parses must be the one canonical encoding of its
// cursor, and reading a small log with that cursor must succeed with consistent results, whatever
// offset, identity and fingerprint the token claims. Any violation aborts.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "shared/jsonl/log_cursor.hpp"

namespace {

using winebot::shared::CursorParseResult;
using winebot::shared::CursorReadResult;
using winebot::shared::parse_log_cursor;
using winebot::shared::read_after;

constexpr std::string_view kLog = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":";

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// The log every parsed cursor is read against, removed when the fuzzer exits.
struct ScratchLog {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("winebot-cursor-fuzz-" + std::to_string(::getpid()));
  ScratchLog() {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(kLog.data(), static_cast<std::streamsize>(kLog.size()));
    require(out.good());
  }
  ~ScratchLog() {
    std::error_code error;
    std::filesystem::remove(path, error);
  }
};

const std::filesystem::path& log_path() {
  static const ScratchLog log;
  return log.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const CursorParseResult parsed = parse_log_cursor(token);
  if (!parsed.ok()) {
    require(parsed.error.starts_with("invalid cursor token: "));
    return 0;
  }
  require(parsed.cursor.to_token() == token);

  const CursorReadResult result = read_after(log_path(), parsed.cursor, 10);
  require(result.ok());
  require(result.next.offset <= kLog.size());
  for (const auto& record : result.records) {
    require(record.offset < kLog.size());
    require(kLog.substr(record.offset).starts_with(record.text));
  }
  if (!result.next.inside_long_line && result.next.offset > 0) {
    require(kLog[result.next.offset - 1] == '\n');
  }
  require(parse_log_cursor(result.next.to_token()).cursor == result.next);
  return 0;
}

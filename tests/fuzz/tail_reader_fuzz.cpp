// libFuzzer target for the backward tail and the forward line reader.
//
// The first three input bytes choose the block size, the maximum line length and the limit; the
// rest becomes the file. Both readers must agree with a whole-file reader, and every returned
// line must be valid UTF-8 without line breaks. Any disagreement aborts.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "shared/jsonl/tail_reader.hpp"

namespace {

using winebot::shared::ForwardPosition;
using winebot::shared::ForwardReadResult;
using winebot::shared::LineReaderOptions;
using winebot::shared::LineRecord;
using winebot::shared::read_complete_lines;
using winebot::shared::ReadOnlyFile;
using winebot::shared::replace_invalid_utf8;
using winebot::shared::TailReader;
using winebot::shared::TailResult;

// The file each input is written to, removed when the fuzzer exits.
struct ScratchFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("winebot-tail-fuzz-" + std::to_string(::getpid()));
  ~ScratchFile() {
    std::error_code error;
    std::filesystem::remove(path, error);
  }
};

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// Checks UTF-8 by decoding code points, independently of replace_invalid_utf8.
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80    ? 1
                         : lead >= 0xF0 ? 4
                         : lead >= 0xE0 ? 3
                         : lead >= 0xC0 ? 2
                                        : 0;
    if (length == 0 || i + length > text.size()) {
      return false;
    }
    std::uint32_t code_point = length == 1 ? lead : lead & (0xFF >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      code_point = (code_point << 6) | (next & 0x3F);
    }
    const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

struct WholeLine {
  std::string raw;
  std::uint64_t offset;
  bool terminated;
};

std::vector<WholeLine> split_whole_file(std::string_view bytes) {
  std::vector<WholeLine> lines;
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

std::string without_cr(std::string raw) {
  if (!raw.empty() && raw.back() == '\r') {
    raw.pop_back();
  }
  return raw;
}

bool is_blank(const std::string& raw) {
  return without_cr(raw).find_first_not_of(" \t\r\v\f") == std::string::npos;
}

void check_tail(const std::filesystem::path& path, std::string_view bytes,
                const LineReaderOptions& options, std::size_t limit) {
  const TailResult result = TailReader(options).read_last_lines(path, limit);
  require(result.ok());

  std::vector<WholeLine> kept;
  for (WholeLine& line : split_whole_file(bytes)) {
    if (line.raw.size() > options.max_line_bytes || !is_blank(line.raw)) {
      kept.push_back(std::move(line));
    }
  }
  std::vector<std::string> expected;
  std::size_t skipped = 0;
  for (std::size_t i = kept.size() > limit ? kept.size() - limit : 0; i < kept.size(); ++i) {
    if (kept[i].raw.size() > options.max_line_bytes) {
      ++skipped;
    } else {
      expected.push_back(replace_invalid_utf8(without_cr(kept[i].raw)));
    }
  }
  require(result.lines == expected);
  require(result.skipped_long_lines == skipped);
  for (const std::string& line : result.lines) {
    require(is_valid_utf8(line));
    require(line.find_first_of(std::string_view("\n\0", 2)) == std::string::npos);
  }
}

void check_forward(const std::filesystem::path& path, std::string_view bytes,
                   LineReaderOptions options, std::size_t page) {
  auto opened = ReadOnlyFile::open(path);
  require(opened.ok() && opened.file.has_value());
  options.max_scan_bytes = options.max_line_bytes + 1;

  std::vector<LineRecord> records;
  ForwardPosition position;
  for (std::size_t call = 0; call <= bytes.size() + 1; ++call) {
    const ForwardReadResult read =
        read_complete_lines(*opened.file, position, bytes.size(), page, options);
    require(read.ok());
    require(read.lines.size() <= page);
    require(read.next.offset >= position.offset && read.next.offset <= bytes.size());
    records.insert(records.end(), read.lines.begin(), read.lines.end());
    if (read.next == position && read.lines.empty()) {
      break;
    }
    position = read.next;
  }

  std::vector<LineRecord> expected;
  for (const WholeLine& line : split_whole_file(bytes)) {
    if (line.terminated && line.raw.size() <= options.max_line_bytes && !is_blank(line.raw)) {
      expected.push_back({replace_invalid_utf8(without_cr(line.raw)), line.offset});
    }
  }
  require(records == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) {
    return 0;
  }
  LineReaderOptions options;
  options.block_bytes = 1 + data[0] % 16;
  options.max_line_bytes = 1 + data[1] % 64;
  const std::size_t limit = 1 + data[2] % 32;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 3, size - 3);

  static const ScratchFile scratch;
  const std::filesystem::path& path = scratch.path;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    require(out.good());
  }

  check_tail(path, bytes, options, limit);
  check_forward(path, bytes, options, 1 + data[2] % 4);
  return 0;
}

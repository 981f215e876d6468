#include "shared/jsonl/log_cursor.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <utility>

namespace winebot::shared {
namespace {

constexpr std::string_view kTokenVersion = "wbc1";
constexpr std::size_t kTokenFields = 6;
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode_base64url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char byte : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(byte);
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      out.push_back(kBase64UrlAlphabet[(bits >> bit_count) & 0x3F]);
    }
  }
  if (bit_count > 0) {
    out.push_back(kBase64UrlAlphabet[(bits << (6 - bit_count)) & 0x3F]);
  }
  return out;
}

int base64url_value(char character) {
  const std::size_t index = kBase64UrlAlphabet.find(character);
  return index == std::string_view::npos ? -1 : static_cast<int>(index);
}

// Decodes unpadded base64url. Rejects what an encoder never produces (a length of 4n+1 and
// nonzero unused bits in the last character), so each byte string has exactly one token.
std::optional<std::string> decode_base64url(std::string_view text, std::string& error) {
  if (text.size() % 4 == 1) {
    error = "its length " + std::to_string(text.size()) + " is not a valid base64url length";
    return std::nullopt;
  }

  std::string out;
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int value = base64url_value(text[i]);
    if (value < 0) {
      error = "byte " + std::to_string(static_cast<unsigned char>(text[i])) + " at position " +
              std::to_string(i) + " is not in the base64url alphabet";
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  if ((bits & ((1U << bit_count) - 1)) != 0) {
    error = "its last character has nonzero unused bits";
    return std::nullopt;
  }
  return out;
}

std::string format_hex64(std::uint64_t value) {
  std::array<char, 16> digits{};
  constexpr std::string_view kHexDigits = "0123456789abcdef";
  for (std::size_t i = digits.size(); i-- > 0;) {
    digits[i] = kHexDigits[value & 0xF];
    value >>= 4;
  }
  return {digits.data(), digits.size()};
}

// Parses a canonical unsigned decimal: digits only, no sign, no leading zero, no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// Parses exactly 16 lowercase hex digits.
std::optional<std::uint64_t> parse_hex64(std::string_view text) {
  const auto is_lower_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  if (text.size() != 16 || !std::all_of(text.begin(), text.end(), is_lower_hex)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() <= kTokenFields) {
    const std::size_t dot = text.find('.', start);
    fields.push_back(text.substr(start, dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return fields;
}

CursorParseResult parse_error(std::string reason) {
  return {{},
          "invalid cursor token: " + std::move(reason) +
              ". Pass the 'next' cursor of an earlier response unchanged."};
}

CursorParseResult parse_fields(const std::vector<std::string_view>& fields) {
  if (fields.size() != kTokenFields) {
    return parse_error("it does not have " + std::to_string(kTokenFields) + " fields");
  }
  if (fields[0] != kTokenVersion) {
    return parse_error("unsupported cursor version");
  }

  const std::optional<std::uint64_t> device = parse_decimal(fields[1]);
  const std::optional<std::uint64_t> inode = parse_decimal(fields[2]);
  const std::optional<std::uint64_t> offset = parse_decimal(fields[3]);
  if (!device || !inode || !offset) {
    return parse_error("device, inode and offset must be canonical unsigned decimals");
  }
  if (fields[4] != "0" && fields[4] != "1") {
    return parse_error("the long-line flag must be 0 or 1");
  }
  const std::optional<std::uint64_t> fingerprint = parse_hex64(fields[5]);
  if (!fingerprint) {
    return parse_error("the fingerprint must be 16 lowercase hex digits");
  }

  LogCursor cursor{*device, *inode, *offset, fields[4] == "1", *fingerprint};
  if (cursor.offset == 0 &&
      (cursor.inside_long_line || cursor.fingerprint != LogCursor{}.fingerprint)) {
    return parse_error(
        "a cursor at offset 0 must have long-line flag 0 and the fingerprint of "
        "no bytes");
  }
  return {cursor, {}};
}

struct StartPoint {
  ForwardPosition position;
  CursorRestart restart = CursorRestart::kNone;
};

struct StartResult {
  StartPoint start;
  std::string error;
};

// Returns whether the byte just before `offset` is a line break, reading it from `head` when it
// lies there.
std::optional<bool> follows_line_break(const ReadOnlyFile& file, std::uint64_t offset,
                                       std::string_view head, std::string& error) {
  char byte = 0;
  if (offset <= head.size()) {
    byte = head[offset - 1];
  } else {
    const ReadAtResult read = file.read_at(offset - 1, {&byte, 1});
    if (!read.ok()) {
      error = read.error;
      return std::nullopt;
    }
    if (read.bytes == 0) {
      return false;
    }
  }
  return byte == '\n' || byte == '\0';
}

// Decides where a read continues: at the cursor when the file is the one it names, else at 0.
// `head` contains the first min(size, kFingerprintBytes) bytes of the file.
StartResult find_start(const LogCursor& cursor, const ReadOnlyFile& file, const FileStatus& status,
                       std::string_view head) {
  if (cursor.offset == 0) {
    return {};
  }

  // Without the device to confirm it, a content mismatch means another file at the path.
  const bool same_device = cursor.device == status.device;
  const auto restart = [](CursorRestart reason) { return StartResult{{{}, reason}, {}}; };
  const auto changed = same_device ? CursorRestart::kContentChanged : CursorRestart::kFileReplaced;

  if (cursor.inode != status.inode) {
    return restart(CursorRestart::kFileReplaced);
  }
  if (status.size < cursor.offset) {
    return restart(same_device ? CursorRestart::kFileTruncated : CursorRestart::kFileReplaced);
  }
  const std::size_t covered = std::min<std::uint64_t>(cursor.offset, kFingerprintBytes);
  if (fingerprint_bytes(head.substr(0, covered)) != cursor.fingerprint) {
    return restart(changed);
  }

  // A line break before the offset shows that the offset is still a line boundary, which catches
  // a file rewritten with the same head but different lines.
  if (!cursor.inside_long_line) {
    std::string error;
    const std::optional<bool> at_boundary = follows_line_break(file, cursor.offset, head, error);
    if (!at_boundary) {
      return {{}, std::move(error)};
    }
    if (!*at_boundary) {
      return restart(changed);
    }
  }
  return {{{cursor.offset, cursor.inside_long_line}, CursorRestart::kNone}, {}};
}

// Outcome of one attempt. file_shrank is set when the file shrank and the attempt must be
// repeated.
struct AttemptResult {
  CursorReadResult result;
  bool file_shrank = false;
};

AttemptResult read_once(const ReadOnlyFile& file, const LogCursor& cursor, std::size_t max_records,
                        const LineReaderOptions& options) {
  AttemptResult attempt;
  CursorReadResult& result = attempt.result;
  result.next = cursor;

  const FileStatusResult before = file.status();
  if (!before.ok()) {
    result.error = before.error;
    return attempt;
  }
  const FileStatus& status = before.status;

  std::string head(std::min<std::uint64_t>(status.size, kFingerprintBytes), '\0');
  const ReadAtResult head_read = file.read_at(0, head);
  if (!head_read.ok()) {
    result.error = head_read.error;
    return attempt;
  }
  if (head_read.bytes < head.size()) {
    attempt.file_shrank = true;
    return attempt;
  }

  StartResult start = find_start(cursor, file, status, head);
  if (!start.error.empty()) {
    result.error = std::move(start.error);
    return attempt;
  }

  ForwardReadResult forward =
      read_complete_lines(file, start.start.position, status.size, max_records, options);
  if (!forward.ok()) {
    result.error = std::move(forward.error);
    return attempt;
  }

  const FileStatusResult after = file.status();
  if (!after.ok()) {
    result.error = after.error;
    return attempt;
  }
  if (forward.file_shrank || after.status.size < status.size) {
    attempt.file_shrank = true;
    return attempt;
  }

  const std::size_t covered = std::min<std::uint64_t>(forward.next.offset, kFingerprintBytes);
  result.records = std::move(forward.lines);
  result.next = {status.device, status.inode, forward.next.offset, forward.next.inside_long_line,
                 fingerprint_bytes(std::string_view(head).substr(0, covered))};
  result.restart = start.start.restart;
  result.skipped_long_lines = forward.skipped_long_lines;
  result.invalid_utf8_lines = forward.invalid_utf8_lines;
  return attempt;
}

}  // namespace

std::string LogCursor::to_token() const {
  const std::string text = std::string(kTokenVersion) + "." + std::to_string(device) + "." +
                           std::to_string(inode) + "." + std::to_string(offset) + "." +
                           (inside_long_line ? "1" : "0") + "." + format_hex64(fingerprint);
  return encode_base64url(text);
}

CursorParseResult parse_log_cursor(std::string_view token) {
  if (token.empty()) {
    return parse_error("it is empty");
  }
  if (token.size() > kMaxCursorTokenChars) {
    return parse_error("it is " + std::to_string(token.size()) + " characters long, more than " +
                       std::to_string(kMaxCursorTokenChars));
  }

  std::string error;
  const std::optional<std::string> text = decode_base64url(token, error);
  if (!text) {
    return parse_error(std::move(error));
  }
  return parse_fields(split_fields(*text));
}

std::string_view to_string(CursorRestart restart) {
  switch (restart) {
    case CursorRestart::kNone:
      return "none";
    case CursorRestart::kFileReplaced:
      return "file_replaced";
    case CursorRestart::kFileTruncated:
      return "file_truncated";
    case CursorRestart::kContentChanged:
      return "content_changed";
  }
  return "unknown";
}

CursorReadResult read_after(const std::filesystem::path& path, const LogCursor& cursor,
                            std::size_t max_records, const LineReaderOptions& options) {
  CursorReadResult result;
  result.next = cursor;
  if (std::string error = options.validate(); !error.empty()) {
    result.error = std::move(error);
    return result;
  }

  for (int attempt = 1; attempt <= TailReader::kMaxReadAttempts; ++attempt) {
    OpenFileResult opened = ReadOnlyFile::open(path);
    if (!opened.ok()) {
      result.error = std::move(opened.error);
      return result;
    }
    if (!opened.file) {
      result.file_missing = true;
      return result;
    }

    AttemptResult outcome = read_once(*opened.file, cursor, max_records, options);
    if (!outcome.file_shrank) {
      return std::move(outcome.result);
    }
  }

  result.error = path.string() + " was truncated during each of " +
                 std::to_string(TailReader::kMaxReadAttempts) +
                 " read attempts. Retry the request.";
  return result;
}

}  // namespace winebot::shared

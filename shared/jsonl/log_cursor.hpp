#pragma once

// Resumable cursors for exactly-once ingest of JSONL logs.
//
// A cursor names a position in one log file: the file's identity (st_dev, st_ino and a
// fingerprint of its first bytes) and a byte offset just after a line terminator. It travels as
// an opaque URL-safe token, so a client (the hub) stores it and sends it back on its next
// request. All state is in the token, so tokens stay valid across node restarts.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "shared/jsonl/tail_reader.hpp"

namespace winebot::shared {

// Leading bytes of a file that the fingerprint covers, once the cursor has passed them. Long
// enough to include the first record's timestamp in WineBot's logs, so that two different logs
// rarely share a fingerprint.
inline constexpr std::size_t kFingerprintBytes = 1024;

// Maximum token length, in characters, that parse_log_cursor accepts. Encoded tokens have at
// most 115.
inline constexpr std::size_t kMaxCursorTokenChars = 128;

// Hashes `bytes` with 64-bit FNV-1a. The fingerprint only has to notice a different file head,
// not resist an attacker, so a fast non-cryptographic hash is enough.
constexpr std::uint64_t fingerprint_bytes(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  for (const char byte : bytes) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= 0x100000001b3ULL;  // FNV-1a 64-bit prime
  }
  return hash;
}

// A position in one log file. A default-constructed cursor means "from the start of whatever file
// is at the path".
struct LogCursor {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;  // just after a line terminator, unless inside_long_line
  bool inside_long_line = false;

  // fingerprint_bytes() of the first min(offset, kFingerprintBytes) bytes of the file. Those bytes
  // were read before the cursor passed them, so in an append-only file they never change.
  std::uint64_t fingerprint = fingerprint_bytes({});

  // Encodes the cursor as base64url (no padding) of "wbc1.DEV.INO.OFFSET.LONG.FINGERPRINT", with
  // decimal numbers, LONG as 0 or 1 and the fingerprint as 16 lowercase hex digits.
  std::string to_token() const;

  friend bool operator==(const LogCursor&, const LogCursor&) = default;
};

struct CursorParseResult {
  LogCursor cursor;
  std::string error;  // empty on success, else a description of what is wrong with the token

  bool ok() const { return error.empty(); }
};

// Parses a token made by LogCursor::to_token. Validation is strict: each cursor has exactly one
// token, and anything else (bad alphabet, padding, leading zeros, overflow, unknown version,
// inconsistent fields) is an error value, never an exception.
CursorParseResult parse_log_cursor(std::string_view token);

// Reason a read restarted from the beginning of the file instead of at the cursor.
enum class CursorRestart {
  kNone,
  kFileReplaced,    // another file is at the path (rotation, or delete and re-create)
  kFileTruncated,   // the same file is now shorter than the cursor's offset
  kContentChanged,  // same file and long enough, but its head or the line boundary differs
};

// Name for logs and metrics labels, such as "file_replaced".
std::string_view to_string(CursorRestart restart);

struct CursorReadResult {
  std::vector<LineRecord> records;  // oldest first, complete lines only
  LogCursor next;                   // pass to the next read_after; equals the input if no file
  CursorRestart restart = CursorRestart::kNone;
  bool file_missing = false;
  std::size_t skipped_long_lines = 0;
  std::size_t invalid_utf8_lines = 0;
  std::string error;  // empty on success

  bool ok() const { return error.empty(); }
};

// Returns up to `max_records` complete lines of `path` after `cursor`, and the cursor that
// follows the last returned line.
//
// The cursor is honoured only if the file at `path` is the one it names: same inode, size at
// least its offset, same fingerprint, and a line terminator just before the offset (unless the
// cursor points inside an over-long line). Otherwise the read restarts at offset 0 of the current
// file and `restart` gives the reason. A changed st_dev
// alone is accepted when everything else matches, because device numbers can change when a
// file system is mounted again (for example after a container restart).
//
// A line without its terminator is still being written: `next` stops before it, so each line is
// returned exactly once. Lines follow the rules in tail_reader.hpp. A file truncated during the
// read is read again, up to TailReader::kMaxReadAttempts times, then an error is returned.
//
// Limitation: records appended to the old file after the last read and before a rotation are
// never returned, because only the path is known and the rotated file's new name is not. Passing
// the rotated file's name as well would let the reader finish the old file first.
//
// Thread-safety: a free function without shared state, safe to call from any thread.
CursorReadResult read_after(const std::filesystem::path& path, const LogCursor& cursor,
                            std::size_t max_records, const LineReaderOptions& options = {});

}  // namespace winebot::shared

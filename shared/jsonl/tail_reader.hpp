#pragma once

// Line readers for JSONL logs that other processes append to while we read.
//
// Both readers split a file into lines with the same rules, so a line returned by the backward
// tail and the same line returned by a cursor read are byte-for-byte equal:
//
// - A line ends at '\n' or at a NUL byte. NUL runs appear where a crash left a zero-filled
//   region in the file. Treating each NUL as a line break keeps the records on either side of
//   the run, and the run itself becomes blank lines.
// - One '\r' at the end of a line is removed, so CRLF files read like LF files.
// - Lines that contain only ASCII whitespace (space, \t, \r, \v, \f) or nothing are dropped and
//   never count against a limit.
// - A line longer than max_line_bytes (counted before the '\r' is removed) is skipped without
//   being buffered whole, and counted in the result.
// - Invalid UTF-8 is replaced with U+FFFD, one per maximal ill-formed subsequence (the Unicode
//   "substitution of maximal subparts" practice), so every returned line is valid UTF-8 and can
//   be written into a JSON string. CPython 3.11's decode("utf-8", "replace") gives the same
//   bytes, so lines match what WineBot's Python reader returned.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace winebot::shared {

// Bytes read per pread call. 64 KiB fits a few hundred typical JSONL records.
inline constexpr std::size_t kDefaultBlockBytes = 64 * 1024;

// Maximum line length in bytes that either reader returns. JsonlAppender rejects longer records.
inline constexpr std::size_t kMaxLineBytes = 1024 * 1024;

// Bytes one read may scan before it stops and returns what it has. It bounds the work of a
// request on a file that is mostly garbage, such as a long NUL run or a line of many GiB.
inline constexpr std::uint64_t kDefaultMaxScanBytes = 64ULL * 1024 * 1024;

// Read-time settings shared by the backward tail and the forward cursor reader.
struct LineReaderOptions {
  std::size_t block_bytes = kDefaultBlockBytes;
  std::size_t max_line_bytes = kMaxLineBytes;

  // Must be larger than max_line_bytes, so that every forward read can step past one line.
  std::uint64_t max_scan_bytes = kDefaultMaxScanBytes;

  // Test seam: called after every block is read, on the reading thread. Tests use it to truncate
  // or replace the file in the middle of a read. Empty in production.
  std::function<void()> after_block_read;

  // Returns an empty string when the options are usable, else a message naming the bad field.
  std::string validate() const;
};

// Returns `bytes` with every ill-formed UTF-8 subsequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view bytes);

// Size and identity of an open file, from fstat.
struct FileStatus {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
};

struct FileStatusResult {
  FileStatus status;
  std::string error;  // empty on success

  bool ok() const { return error.empty(); }
};

struct ReadAtResult {
  std::size_t bytes = 0;  // fewer than requested only at end of file
  std::string error;      // empty on success

  bool ok() const { return error.empty(); }
};

struct OpenFileResult;

// A regular file opened read-only; the descriptor closes with the object.
// Reads use pread, so one ReadOnlyFile may be read from several threads at once.
class ReadOnlyFile {
 public:
  // Opens `path`. A missing file is not an error: the result is ok() and contains no file.
  // A path that is not a regular file (a folder, a FIFO) is an error. Never blocks on a FIFO.
  static OpenFileResult open(const std::filesystem::path& path);

  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile();

  FileStatusResult status() const;

  // Reads up to buffer.size() bytes at `offset`, retrying short reads until the buffer is full
  // or the file ends.
  ReadAtResult read_at(std::uint64_t offset, std::span<char> buffer) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  ReadOnlyFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::filesystem::path path_;
};

struct OpenFileResult {
  std::optional<ReadOnlyFile> file;  // empty when the file does not exist or on error
  std::string error;                 // empty on success, including a missing file

  bool ok() const { return error.empty(); }
};

// Result of a backward tail read.
struct TailResult {
  std::vector<std::string> lines;      // oldest first, without line terminators
  std::size_t skipped_long_lines = 0;  // lines over max_line_bytes inside the window
  std::size_t invalid_utf8_lines = 0;  // returned lines in which bytes were replaced by U+FFFD
  bool scan_limit_reached = false;     // stopped after max_scan_bytes with fewer lines than asked
  std::string error;                   // empty on success, which includes a missing file

  bool ok() const { return error.empty(); }
};

// Predicate for read_last_matching_lines. It receives each line after CR removal and UTF-8
// repair.
using LineFilter = std::function<bool(std::string_view line)>;

// Backward reader for the newest lines of a file, reading fixed blocks from the end.
//
// Cost is proportional to the bytes from the start of the returned window to the end of the
// file, at most max_scan_bytes, and never to the file size. Memory is bounded by block_bytes plus
// max_line_bytes plus the returned lines.
//
// Each result comes from one file as it was when the read started; appends during the read are
// not seen. A file truncated during the read, or replaced by a rename over its path, is read
// again, up to kMaxReadAttempts times in total. If every attempt detects a change, the result is
// the last read of a replaced file (consistent but stale), or an error if the file was truncated.
//
// Thread-safety: const methods only, so one TailReader may serve many threads at once.
class TailReader {
 public:
  static constexpr int kMaxReadAttempts = 3;

  explicit TailReader(LineReaderOptions options = {});

  // Returns up to `limit` of the newest non-blank lines, oldest first. A final line without a
  // terminator is returned, because it is the newest record a writer has started.
  // Over-long lines take a place in the window but are not returned, so that `limit` counts raw
  // non-blank lines, as WineBot's API clients expect. A missing file yields no lines.
  TailResult read_last_lines(const std::filesystem::path& path, std::size_t limit) const;

  // Returns up to `limit` of the newest lines for which `filter` returns true, oldest first.
  // Rejected and over-long lines take no place in the window, so the read goes further back,
  // up to max_scan_bytes.
  TailResult read_last_matching_lines(const std::filesystem::path& path, std::size_t limit,
                                      const LineFilter& filter) const;

 private:
  TailResult read_with_retries(const std::filesystem::path& path, std::size_t limit,
                               const LineFilter* filter) const;
  TailResult scan_backward(const ReadOnlyFile& file, std::uint64_t size, std::size_t limit,
                           const LineFilter* filter, bool& file_shrank) const;

  LineReaderOptions options_;
};

// Position for forward reads: either just after a line terminator, or inside an over-long line
// whose remaining bytes must be skipped up to its terminator.
struct ForwardPosition {
  std::uint64_t offset = 0;
  bool inside_long_line = false;

  friend bool operator==(const ForwardPosition&, const ForwardPosition&) = default;
};

// One complete line with the file offset of its first byte.
struct LineRecord {
  std::string text;
  std::uint64_t offset = 0;

  friend bool operator==(const LineRecord&, const LineRecord&) = default;
};

struct ForwardReadResult {
  std::vector<LineRecord> lines;
  ForwardPosition next;                // where the following read continues
  std::size_t skipped_long_lines = 0;  // over-long lines whose terminator this read found
  std::size_t invalid_utf8_lines = 0;
  bool file_shrank = false;  // the file ended before end_offset, so the caller should read again
  std::string error;         // empty on success

  bool ok() const { return error.empty(); }
};

// Reads complete lines forward from `from` up to `end_offset` (normally the size from fstat).
//
// Only terminated lines are returned: bytes after the last terminator are a record still being
// written, so `next` stops before them and a later read returns the line once it is complete.
// Stops after `max_lines` lines, at end_offset, or after options.max_scan_bytes bytes. When the
// read stops inside a line already known to be over-long, `next` points into that line with
// inside_long_line set, so the next read skips the rest without scanning it again.
ForwardReadResult read_complete_lines(const ReadOnlyFile& file, ForwardPosition from,
                                      std::uint64_t end_offset, std::size_t max_lines,
                                      const LineReaderOptions& options);

}  // namespace winebot::shared

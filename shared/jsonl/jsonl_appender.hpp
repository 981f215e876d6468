#pragma once

// Whole-line appends to a JSONL log that other writers and readers share.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "shared/jsonl/tail_reader.hpp"

namespace winebot::shared {

enum class FsyncPolicy {
  kNone,         // no explicit flush, so a crash may lose the newest records
  kEveryRecord,  // fdatasync after every record, and fsync the folder when the file is created
};

struct JsonlAppenderOptions {
  FsyncPolicy fsync_policy = FsyncPolicy::kNone;

  // Appends that would make the file larger than this are rejected. Empty means no limit.
  std::optional<std::uint64_t> max_file_bytes;

  // Longer records are rejected, because the line readers skip lines longer than kMaxLineBytes.
  std::size_t max_record_bytes = kMaxLineBytes;
};

enum class AppendStatus {
  kAppended,
  kRejectedFileFull,  // max_file_bytes would be exceeded; nothing was written
  kInvalidRecord,     // empty, too long, or contains '\n' or NUL; nothing was written
  kFailed,            // an I/O error, described in `error` with the call and the path
};

struct AppendResult {
  AppendStatus status = AppendStatus::kAppended;
  std::string error;  // empty when status is kAppended

  bool ok() const { return status == AppendStatus::kAppended; }
};

// Running totals, one per AppendStatus, for metrics.
struct AppendCounters {
  std::uint64_t appended = 0;
  std::uint64_t rejected_file_full = 0;
  std::uint64_t invalid_records = 0;
  std::uint64_t failed = 0;
};

// Appends records to one JSONL file, one record per line.
//
// Each record and its '\n' go out in one write() on a descriptor opened with O_APPEND. On a
// local Linux file system the kernel serializes such writes, so records from concurrent
// appenders, in this process or another, never interleave. The parent folder (the session's
// logs/ folder) is created on the first append. The file is opened again when it was deleted or
// renamed away (rotation), so records always land in the file the path names.
//
// With max_file_bytes set, the size check and the write run under flock(LOCK_EX) on the file, so
// cooperating writers cannot both pass the check and overshoot the limit together.
//
// Limitation: on NFS, O_APPEND writes from different hosts can overwrite each other, because the
// client computes the end of the file itself. Keep logs on a local file system.
//
// Thread-safety: append() and counters() may be called from any thread; a mutex serializes them.
// I/O errors are returned as values; no method throws for them.
class JsonlAppender {
 public:
  explicit JsonlAppender(std::filesystem::path path, JsonlAppenderOptions options = {});
  ~JsonlAppender();

  JsonlAppender(const JsonlAppender&) = delete;
  JsonlAppender& operator=(const JsonlAppender&) = delete;

  // Appends `record` plus '\n'. The record must be one non-empty line without NUL bytes.
  AppendResult append(std::string_view record);

  AppendCounters counters() const;

  const std::filesystem::path& path() const { return path_; }

 private:
  AppendResult validate(std::string_view record) const;
  AppendResult open_if_needed();
  AppendResult open_file();
  AppendResult write_locked(std::string_view record);
  AppendResult write_line(std::string_view record);
  void close_file();
  AppendResult count(AppendResult result);

  const std::filesystem::path path_;
  const JsonlAppenderOptions options_;

  mutable std::mutex mutex_;  // guards everything below
  int fd_ = -1;
  std::uint64_t device_ = 0;  // identity of the open file, to notice rotation
  std::uint64_t inode_ = 0;
  AppendCounters counters_;
};

}  // namespace winebot::shared

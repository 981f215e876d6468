#include "shared/jsonl/jsonl_appender.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace winebot::shared {
namespace {

// O_NONBLOCK matters only for a FIFO, where open() then fails instead of waiting for a reader.
// Writes to regular files ignore it.
constexpr int kOpenFlags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK;
constexpr mode_t kFileMode = 0644;  // before the umask

std::string errno_text(int error_number) {
  return std::generic_category().message(error_number);
}

AppendResult failure(std::string message) {
  return {AppendStatus::kFailed, std::move(message)};
}

// Holds flock(LOCK_EX) on a descriptor for the scope. flock locks the open file description, so
// it excludes other descriptors and processes, not other threads using the same descriptor.
class ExclusiveFileLock {
 public:
  explicit ExclusiveFileLock(int fd) : fd_(fd) {
    int status = 0;
    do {
      status = ::flock(fd_, LOCK_EX);
    } while (status != 0 && errno == EINTR);
    error_number_ = status == 0 ? 0 : errno;
  }

  ~ExclusiveFileLock() {
    // An unlock error is ignored, because close() releases the lock anyway.
    if (error_number_ == 0) {
      ::flock(fd_, LOCK_UN);
    }
  }

  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;

  int error_number() const { return error_number_; }

 private:
  int fd_;
  int error_number_ = 0;
};

// Flushes a folder's entries, so a newly created file is still listed after a crash.
std::string sync_folder(const std::filesystem::path& folder) {
  const std::filesystem::path target = folder.empty() ? "." : folder;
  const int fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int error_number = errno;
    return "cannot open folder " + target.string() + " for fsync: " + errno_text(error_number);
  }

  std::string error;
  if (::fsync(fd) != 0) {
    const int error_number = errno;
    error = "fsync failed on folder " + target.string() + ": " + errno_text(error_number);
  }
  ::close(fd);  // a close error on a read-only descriptor loses no data
  return error;
}

}  // namespace

JsonlAppender::JsonlAppender(std::filesystem::path path, JsonlAppenderOptions options)
    : path_(std::move(path)), options_(options) {}

JsonlAppender::~JsonlAppender() {
  close_file();
}

AppendResult JsonlAppender::append(std::string_view record) {
  std::lock_guard lock(mutex_);

  AppendResult result = validate(record);
  if (result.ok()) {
    result = open_if_needed();
  }
  if (result.ok()) {
    result = options_.max_file_bytes ? write_locked(record) : write_line(record);
  }
  return count(std::move(result));
}

AppendCounters JsonlAppender::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

AppendResult JsonlAppender::validate(std::string_view record) const {
  const auto invalid = [](std::string message) {
    return AppendResult{AppendStatus::kInvalidRecord, std::move(message)};
  };
  if (record.empty()) {
    return invalid("record for " + path_.string() + " is empty");
  }
  if (record.size() > options_.max_record_bytes) {
    return invalid("record for " + path_.string() + " is " + std::to_string(record.size()) +
                   " bytes, more than the maximum of " + std::to_string(options_.max_record_bytes));
  }
  // Readers split lines at '\n' and at NUL, so either byte would break the record in two.
  if (record.find_first_of(std::string_view("\n\0", 2)) != std::string_view::npos) {
    return invalid("record for " + path_.string() + " contains a newline or NUL byte");
  }
  return {};
}

AppendResult JsonlAppender::open_if_needed() {
  if (fd_ >= 0) {
    struct stat info {};
    const bool still_there = ::stat(path_.c_str(), &info) == 0 &&
                             static_cast<std::uint64_t>(info.st_dev) == device_ &&
                             static_cast<std::uint64_t>(info.st_ino) == inode_;
    if (still_there) {
      return {};
    }
    // The file was deleted or renamed away, so open the path again, where readers will look.
    close_file();
  }
  return open_file();
}

AppendResult JsonlAppender::open_file() {
  int fd = ::open(path_.c_str(), kOpenFlags, kFileMode);
  if (fd < 0 && errno == ENOENT && !path_.parent_path().empty()) {
    std::error_code error;
    std::filesystem::create_directories(path_.parent_path(), error);
    if (error) {
      return failure("cannot create folder " + path_.parent_path().string() + ": " +
                     error.message());
    }
    fd = ::open(path_.c_str(), kOpenFlags, kFileMode);
  }
  if (fd < 0) {
    const int error_number = errno;
    return failure("cannot open " + path_.string() + " for appending: " + errno_text(error_number));
  }

  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error_number = errno;
    ::close(fd);
    return failure("fstat failed on " + path_.string() + ": " + errno_text(error_number));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return failure("cannot append to " + path_.string() + ": not a regular file");
  }
  fd_ = fd;
  device_ = static_cast<std::uint64_t>(info.st_dev);
  inode_ = static_cast<std::uint64_t>(info.st_ino);

  // The folder entry may be new, and without this fsync a crash could lose the whole file.
  if (options_.fsync_policy == FsyncPolicy::kEveryRecord) {
    if (std::string error = sync_folder(path_.parent_path()); !error.empty()) {
      return failure(std::move(error));
    }
  }
  return {};
}

AppendResult JsonlAppender::write_locked(std::string_view record) {
  const ExclusiveFileLock lock(fd_);
  if (lock.error_number() != 0) {
    return failure("flock failed on " + path_.string() + ": " + errno_text(lock.error_number()));
  }

  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int error_number = errno;
    return failure("fstat failed on " + path_.string() + ": " + errno_text(error_number));
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const std::uint64_t line_bytes = record.size() + 1;
  if (size + line_bytes > *options_.max_file_bytes) {
    std::string message = "cannot append a " + std::to_string(line_bytes) + "-byte line to " +
                          path_.string() + " of " + std::to_string(size) +
                          " bytes without exceeding max_file_bytes " +
                          std::to_string(*options_.max_file_bytes);
    return {AppendStatus::kRejectedFileFull, std::move(message)};
  }
  return write_line(record);
}

AppendResult JsonlAppender::write_line(std::string_view record) {
  // One writev keeps the record and its newline in a single O_APPEND write.
  char newline = '\n';
  iovec parts[2] = {{const_cast<char*>(record.data()), record.size()}, {&newline, 1}};
  const std::size_t total = record.size() + 1;

  ssize_t written = 0;
  do {
    written = ::writev(fd_, parts, 2);
  } while (written < 0 && errno == EINTR);
  if (written < 0) {
    const int error_number = errno;
    return failure("write failed on " + path_.string() + ": " + errno_text(error_number));
  }

  if (static_cast<std::size_t>(written) < total) {
    // A short write (disk full, file size limit) leaves a torn line. Ending it with '\n' keeps
    // the next record on a line of its own, so readers lose only this record. Without the flock
    // that max_file_bytes takes, another writer's record may land before this '\n'.
    const bool record_complete = static_cast<std::size_t>(written) == record.size();
    const bool ended = ::write(fd_, &newline, 1) == 1;
    if (!(record_complete && ended)) {
      return failure("short write on " + path_.string() + ": " + std::to_string(written) + " of " +
                     std::to_string(total) + " bytes written, so the record is lost");
    }
  }

  if (options_.fsync_policy == FsyncPolicy::kEveryRecord && ::fdatasync(fd_) != 0) {
    const int error_number = errno;
    return failure("fdatasync failed on " + path_.string() + ": " + errno_text(error_number) +
                   ". The record was written but may not survive a crash.");
  }
  return {};
}

void JsonlAppender::close_file() {
  // Appends already reached the kernel, so on a local file system close() reports nothing new.
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

AppendResult JsonlAppender::count(AppendResult result) {
  switch (result.status) {
    case AppendStatus::kAppended:
      ++counters_.appended;
      break;
    case AppendStatus::kRejectedFileFull:
      ++counters_.rejected_file_full;
      break;
    case AppendStatus::kInvalidRecord:
      ++counters_.invalid_records;
      break;
    case AppendStatus::kFailed:
      ++counters_.failed;
      break;
  }
  return result;
}

}  // namespace winebot::shared

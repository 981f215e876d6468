#include "shared/jsonl/tail_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>
#include <utility>

namespace winebot::shared {
namespace {

std::string errno_text(int error_number) {
  return std::generic_category().message(error_number);
}

TailResult tail_error(std::string message) {
  TailResult result;
  result.error = std::move(message);
  return result;
}

bool is_line_break(char byte) {
  return byte == '\n' || byte == '\0';
}

bool is_ascii_space(char byte) {
  return byte == ' ' || byte == '\t' || byte == '\r' || byte == '\v' || byte == '\f';
}

// Length of the UTF-8 sequence that starts at bytes[0] if it is well-formed, else 0 with
// `invalid_length` set to the length of its maximal ill-formed prefix (at least 1).
// The ranges follow Table 3-7 of the Unicode Standard, which excludes overlong forms,
// surrogates (ED A0..BF) and code points above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view bytes, std::size_t& invalid_length) {
  const auto lead = static_cast<unsigned char>(bytes[0]);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;

  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    second_min = lead == 0xE0 ? 0xA0 : 0x80;
    second_max = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    second_min = lead == 0xF0 ? 0x90 : 0x80;
    second_max = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    invalid_length = 1;
    return 0;
  }

  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (i >= bytes.size() || static_cast<unsigned char>(bytes[i]) < min ||
        static_cast<unsigned char>(bytes[i]) > max) {
      invalid_length = i;
      return 0;
    }
  }
  return length;
}

std::size_t first_non_ascii(std::string_view bytes, std::size_t from) {
  while (from < bytes.size() && static_cast<unsigned char>(bytes[from]) < 0x80) {
    ++from;
  }
  return from;
}

// Appends `bytes` to `out` with invalid UTF-8 replaced, and returns the number of replacements.
std::size_t append_valid_utf8(std::string_view bytes, std::string& out) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::size_t replacements = 0;
  std::size_t i = 0;

  while (i < bytes.size()) {
    // JSONL is mostly ASCII, so copy ASCII runs in one append.
    const std::size_t run_end = first_non_ascii(bytes, i);
    out.append(bytes.substr(i, run_end - i));
    i = run_end;
    if (i == bytes.size()) {
      break;
    }

    std::size_t invalid_length = 0;
    const std::size_t length = utf8_sequence_length(bytes.substr(i), invalid_length);
    if (length > 0) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out.append(kReplacement);
      ++replacements;
      i += invalid_length;
    }
  }
  return replacements;
}

// A line classified by the rules at the top of tail_reader.hpp.
struct FinishedLine {
  enum class Kind { kBlank, kTooLong, kText };

  Kind kind = Kind::kBlank;
  std::string text;
  bool repaired = false;
};

FinishedLine finish_line(std::string_view raw) {
  if (!raw.empty() && raw.back() == '\r') {
    raw.remove_suffix(1);
  }
  if (std::all_of(raw.begin(), raw.end(), is_ascii_space)) {
    return {};
  }

  FinishedLine line{FinishedLine::Kind::kText, {}, false};
  line.text.reserve(raw.size());
  line.repaired = append_valid_utf8(raw, line.text) > 0;
  return line;
}

FinishedLine too_long_line() {
  return {FinishedLine::Kind::kTooLong, {}, false};
}

// The line currently being gathered while the file is read from its end toward its start.
// Pieces arrive newest first and are joined once, when the line's start is found, so a line
// that spans many blocks costs linear time. Past max_bytes the pieces are dropped.
class BackwardLine {
 public:
  explicit BackwardLine(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void prepend(std::string_view piece) {
    if (piece.empty() || too_long_) {
      return;
    }
    bytes_ += piece.size();
    if (bytes_ > max_bytes_) {
      too_long_ = true;
      pieces_.clear();
      return;
    }
    pieces_.emplace_back(piece);
  }

  // Finishes the line that is `head` followed by the pieces gathered so far.
  FinishedLine finish(std::string_view head) {
    FinishedLine line;
    if (pieces_.empty() && !too_long_) {
      // The whole line lies in one block, so classify it in place without a copy.
      line = head.size() > max_bytes_ ? too_long_line() : finish_line(head);
    } else {
      prepend(head);
      line = too_long_ ? too_long_line() : finish_line(join());
    }
    pieces_.clear();
    bytes_ = 0;
    too_long_ = false;
    return line;
  }

 private:
  std::string join() const {
    std::string joined;
    joined.reserve(bytes_);
    for (auto piece = pieces_.rbegin(); piece != pieces_.rend(); ++piece) {
      joined += *piece;
    }
    return joined;
  }

  std::vector<std::string> pieces_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
  bool too_long_ = false;
};

// Collects finished lines newest first and decides when the window is full.
class TailWindow {
 public:
  TailWindow(std::size_t limit, const LineFilter* filter) : limit_(limit), filter_(filter) {}

  bool full() const { return taken_ >= limit_; }

  void add(FinishedLine line, TailResult& result) {
    if (line.kind == FinishedLine::Kind::kBlank) {
      return;
    }
    if (line.kind == FinishedLine::Kind::kTooLong) {
      // Without a filter an over-long line keeps its place, as an unparsable line would.
      if (filter_ == nullptr) {
        ++result.skipped_long_lines;
        ++taken_;
      }
      return;
    }
    if (filter_ != nullptr && !(*filter_)(line.text)) {
      return;
    }
    result.invalid_utf8_lines += line.repaired ? 1 : 0;
    result.lines.push_back(std::move(line.text));
    ++taken_;
  }

 private:
  std::size_t limit_;
  std::size_t taken_ = 0;
  const LineFilter* filter_;
};

// Scans one block from its end toward its start. Bytes before the first break stay in `line`,
// because their line may begin in an earlier block.
void scan_block_backward(std::string_view block, BackwardLine& line, TailWindow& window,
                         TailResult& result) {
  std::size_t end = block.size();
  for (std::size_t i = block.size(); i-- > 0;) {
    if (!is_line_break(block[i])) {
      continue;
    }
    window.add(line.finish(block.substr(i + 1, end - i - 1)), result);
    if (window.full()) {
      return;
    }
    end = i;
  }
  line.prepend(block.substr(0, end));
}

// The line currently being gathered by a forward read. Appending is amortized linear.
class ForwardLine {
 public:
  ForwardLine(std::size_t max_bytes, bool too_long) : max_bytes_(max_bytes), too_long_(too_long) {}

  bool too_long() const { return too_long_; }

  void append(std::string_view piece) {
    if (too_long_) {
      return;
    }
    if (bytes_.size() + piece.size() > max_bytes_) {
      too_long_ = true;
      bytes_.clear();
      bytes_.shrink_to_fit();
      return;
    }
    bytes_.append(piece);
  }

  FinishedLine finish() {
    FinishedLine line = too_long_ ? too_long_line() : finish_line(bytes_);
    bytes_.clear();
    too_long_ = false;
    return line;
  }

 private:
  std::string bytes_;
  std::size_t max_bytes_;
  bool too_long_;
};

// State of one forward read, advanced block by block.
struct ForwardScan {
  ForwardLine line;
  std::uint64_t line_offset;  // file offset of the current line's first byte
  std::size_t max_lines;
  ForwardReadResult& result;

  bool done() const { return result.lines.size() >= max_lines; }

  // Consumes one block that starts at file offset `base`. It stops right after the line that
  // reaches max_lines, so `result.next` never skips an unreturned line.
  void consume(std::string_view block, std::uint64_t base) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < block.size(); ++i) {
      if (!is_line_break(block[i])) {
        continue;
      }
      line.append(block.substr(start, i - start));
      add(line.finish());
      start = i + 1;
      line_offset = base + start;
      result.next = {line_offset, false};
      if (done()) {
        return;
      }
    }
    line.append(block.substr(start));
  }

  void add(FinishedLine finished) {
    if (finished.kind == FinishedLine::Kind::kTooLong) {
      ++result.skipped_long_lines;
    } else if (finished.kind == FinishedLine::Kind::kText) {
      result.invalid_utf8_lines += finished.repaired ? 1 : 0;
      result.lines.push_back({std::move(finished.text), line_offset});
    }
  }
};

bool same_file(const FileStatus& a, const FileStatus& b) {
  return a.device == b.device && a.inode == b.inode;
}

// Returns the identity now at `path`, or nullopt when nothing (or nothing readable) is there.
std::optional<FileStatus> status_at_path(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return FileStatus{static_cast<std::uint64_t>(info.st_dev),
                    static_cast<std::uint64_t>(info.st_ino),
                    static_cast<std::uint64_t>(info.st_size)};
}

}  // namespace

std::string LineReaderOptions::validate() const {
  if (block_bytes == 0) {
    return "invalid line reader options: block_bytes must be at least 1";
  }
  if (max_line_bytes == 0) {
    return "invalid line reader options: max_line_bytes must be at least 1";
  }
  if (max_scan_bytes <= max_line_bytes) {
    return "invalid line reader options: max_scan_bytes (" + std::to_string(max_scan_bytes) +
           ") must be larger than max_line_bytes (" + std::to_string(max_line_bytes) + ")";
  }
  return {};
}

std::string replace_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_valid_utf8(bytes, out);
  return out;
}

OpenFileResult ReadOnlyFile::open(const std::filesystem::path& path) {
  // O_NONBLOCK keeps open() from waiting for a writer when the path is a FIFO.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return {};
    }
    return {std::nullopt, "cannot open " + path.string() + ": " + errno_text(error_number)};
  }

  ReadOnlyFile file(fd, path);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error_number = errno;
    return {std::nullopt, "fstat failed on " + path.string() + ": " + errno_text(error_number)};
  }
  if (!S_ISREG(info.st_mode)) {
    return {std::nullopt, "cannot read " + path.string() + ": not a regular file"};
  }
  return {std::move(file), {}};
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

ReadOnlyFile& ReadOnlyFile::operator=(ReadOnlyFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() {
  // A close error on a read-only descriptor loses no data, so there is nothing to report.
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

FileStatusResult ReadOnlyFile::status() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int error_number = errno;
    return {{}, "fstat failed on " + path_.string() + ": " + errno_text(error_number)};
  }
  return {{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
           static_cast<std::uint64_t>(info.st_size)},
          {}};
}

ReadAtResult ReadOnlyFile::read_at(std::uint64_t offset, std::span<char> buffer) const {
  constexpr auto kMaxOffset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
  if (offset > kMaxOffset - buffer.size()) {
    return {0, "cannot read " + path_.string() + ": offset " + std::to_string(offset) +
                   " is beyond the largest file offset"};
  }

  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t count =
        ::pread(fd_, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
    if (count < 0) {
      const int error_number = errno;
      if (error_number == EINTR) {
        continue;
      }
      return {done, "pread failed on " + path_.string() + " at offset " +
                        std::to_string(offset + done) + ": " + errno_text(error_number)};
    }
    if (count == 0) {
      break;
    }
    done += static_cast<std::size_t>(count);
  }
  return {done, {}};
}

TailReader::TailReader(LineReaderOptions options) : options_(std::move(options)) {}

TailResult TailReader::read_last_lines(const std::filesystem::path& path, std::size_t limit) const {
  return read_with_retries(path, limit, nullptr);
}

TailResult TailReader::read_last_matching_lines(const std::filesystem::path& path,
                                                std::size_t limit, const LineFilter& filter) const {
  return read_with_retries(path, limit, &filter);
}

TailResult TailReader::read_with_retries(const std::filesystem::path& path, std::size_t limit,
                                         const LineFilter* filter) const {
  if (std::string error = options_.validate(); !error.empty()) {
    return tail_error(std::move(error));
  }
  if (limit == 0) {
    return {};
  }

  std::optional<TailResult> replaced_result;
  for (int attempt = 1; attempt <= kMaxReadAttempts; ++attempt) {
    OpenFileResult opened = ReadOnlyFile::open(path);
    if (!opened.ok()) {
      return tail_error(std::move(opened.error));
    }
    if (!opened.file) {
      return {};
    }

    const FileStatusResult before = opened.file->status();
    if (!before.ok()) {
      return tail_error(before.error);
    }

    bool file_shrank = false;
    TailResult result = scan_backward(*opened.file, before.status.size, limit, filter, file_shrank);
    if (!result.ok()) {
      return result;
    }

    // A shrunken file may have mixed old and new bytes into one line, so that read is discarded.
    // NOTE: a truncation followed by regrowth past the old size within one read is not noticed,
    // because the size is the only signal, so such a window may mix old and new lines.
    const FileStatusResult after = opened.file->status();
    if (!after.ok()) {
      return tail_error(after.error);
    }
    if (file_shrank || after.status.size < before.status.size) {
      continue;
    }

    // A file renamed over the path leaves this read consistent but stale, so read the new file.
    const std::optional<FileStatus> current = status_at_path(path);
    if (current && !same_file(*current, before.status)) {
      replaced_result = std::move(result);
      continue;
    }
    return result;
  }

  // Every attempt saw a change. A replaced file still gave a consistent read of the old file.
  if (replaced_result) {
    return std::move(*replaced_result);
  }
  return tail_error(path.string() + " was truncated or replaced during each of " +
                    std::to_string(kMaxReadAttempts) + " read attempts. Retry the request.");
}

TailResult TailReader::scan_backward(const ReadOnlyFile& file, std::uint64_t size,
                                     std::size_t limit, const LineFilter* filter,
                                     bool& file_shrank) const {
  TailResult result;
  TailWindow window(limit, filter);
  BackwardLine line(options_.max_line_bytes);
  std::vector<char> block(options_.block_bytes);
  std::uint64_t position = size;
  std::uint64_t scanned = 0;

  while (position > 0 && !window.full()) {
    if (scanned >= options_.max_scan_bytes) {
      result.scan_limit_reached = true;
      break;
    }
    const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(position, block.size()));
    position -= step;

    const ReadAtResult read = file.read_at(position, {block.data(), step});
    if (!read.ok()) {
      return tail_error(read.error);
    }
    if (read.bytes < step) {
      file_shrank = true;
      return result;
    }
    scanned += step;
    if (options_.after_block_read) {
      options_.after_block_read();
    }
    scan_block_backward({block.data(), step}, line, window, result);
  }

  // The start of the file ends the oldest line as a line break would.
  if (position == 0 && !window.full()) {
    window.add(line.finish({}), result);
  }
  std::reverse(result.lines.begin(), result.lines.end());
  return result;
}

ForwardReadResult read_complete_lines(const ReadOnlyFile& file, ForwardPosition from,
                                      std::uint64_t end_offset, std::size_t max_lines,
                                      const LineReaderOptions& options) {
  ForwardReadResult result;
  result.next = from;
  if (std::string error = options.validate(); !error.empty()) {
    result.error = std::move(error);
    return result;
  }

  ForwardScan scan{ForwardLine(options.max_line_bytes, from.inside_long_line), from.offset,
                   max_lines, result};
  std::vector<char> block(options.block_bytes);
  std::uint64_t position = from.offset;
  std::uint64_t scanned = 0;

  while (position < end_offset && !scan.done() && scanned < options.max_scan_bytes) {
    const auto step =
        static_cast<std::size_t>(std::min<std::uint64_t>(end_offset - position, block.size()));
    const ReadAtResult read = file.read_at(position, {block.data(), step});
    if (!read.ok()) {
      result.error = read.error;
      return result;
    }
    if (read.bytes < step) {
      result.file_shrank = true;
      return result;
    }
    if (options.after_block_read) {
      options.after_block_read();
    }

    scan.consume({block.data(), step}, position);
    position += step;
    scanned += step;
  }

  // When the read stops inside a line already known to be over-long, the next read resumes
  // skipping from here.
  if (!scan.done() && scan.line.too_long()) {
    result.next = {position, true};
  }
  return result;
}

}  // namespace winebot::shared

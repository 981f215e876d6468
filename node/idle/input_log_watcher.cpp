#include "node/idle/input_log_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "shared/log/logger.hpp"

namespace winebot::node {
namespace {

// Events on the logs folder: its input event files appearing, growing, shrinking or going away,
// and the folder itself going away. IN_EXCL_UNLINK drops events on files already unlinked.
constexpr std::uint32_t kLogsFolderEvents = IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |
                                            IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                            IN_EXCL_UNLINK;

// Events on the session folder while its logs folder does not exist yet.
constexpr std::uint32_t kSessionFolderEvents =
    IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// Events that end a watch: the watched folder was deleted, moved away or unmounted, or the
// kernel dropped the watch (IN_IGNORED).
constexpr std::uint32_t kWatchEndEvents = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED;

constexpr std::string_view kInputLogPrefix = "input_events";
constexpr std::string_view kInputLogSuffix = ".jsonl";

bool is_input_log_name(std::string_view name) {
  return name.size() >= kInputLogPrefix.size() + kInputLogSuffix.size() &&
         name.starts_with(kInputLogPrefix) && name.ends_with(kInputLogSuffix);
}

std::string errno_text(int error_number) {
  return std::generic_category().message(error_number);
}

const shared::LineReaderOptions& line_options() {
  static const shared::LineReaderOptions options = [] {
    shared::LineReaderOptions result;
    result.max_line_bytes = kMaxInputEventLineBytes;
    result.max_scan_bytes = kMaxInputLogReadBytesPerStep;
    return result;
  }();
  return options;
}

// Names of the input event files in `folder`, sorted. A folder that cannot be listed has none.
std::vector<std::string> input_log_names(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator entry(folder, error), end; !error && entry != end;
       entry.increment(error)) {
    std::string name = entry->path().filename().string();
    if (is_input_log_name(name)) {
      names.push_back(std::move(name));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Returns where the last line of a file of `size` bytes starts, so that a line still being
// written when watching starts counts once its end arrives. The same line breaks as
// read_complete_lines apply ('\n' and NUL). When that line is already longer than the maximum,
// the position marks it as one to skip.
shared::ForwardPosition start_of_last_line(const shared::ReadOnlyFile& file, std::uint64_t size) {
  const std::uint64_t window = std::min<std::uint64_t>(size, kMaxInputEventLineBytes + 1);
  std::string tail(window, '\0');
  const shared::ReadAtResult read = file.read_at(size - window, {tail.data(), tail.size()});
  if (!read.ok() || read.bytes < window) {
    return {size, false};
  }

  const std::size_t last_break = tail.find_last_of(std::string_view("\n\0", 2));
  if (last_break != std::string::npos) {
    return {size - window + last_break + 1, false};
  }
  if (window == size) {
    return {0, false};  // the whole file is one unfinished line
  }
  return {size, true};
}

// Returns the origin named by an input event's `origin` field. Any value other than "user" or
// "agent" is kUnknown.
ActivityOrigin origin_of(const nlohmann::json& event) {
  const auto origin = event.find("origin");
  if (origin == event.end() || !origin->is_string()) {
    return ActivityOrigin::kUnknown;
  }
  return parse_activity_origin(origin->get_ref<const std::string&>())
      .value_or(ActivityOrigin::kUnknown);
}

std::optional<std::int64_t> epoch_ms_of(const nlohmann::json& event) {
  for (const char* key : {"timestamp_epoch_ms", "t_wall_ms", "t_epoch_ms"}) {
    const auto found = event.find(key);
    if (found != event.end() && found->is_number_integer()) {
      return found->get<std::int64_t>();
    }
  }
  return std::nullopt;
}

}  // namespace

InputLogWatcher::InputLogWatcher(boost::asio::io_context& io, Listener listener)
    : io_(io), listener_(std::move(listener)), inotify_(io) {}

// Closing the inotify descriptor (in inotify_'s destructor) removes every watch. The pending
// read then completes with operation_aborted and returns without touching the watcher.
InputLogWatcher::~InputLogWatcher() {
  alive_.reset();
}

void InputLogWatcher::watch(const std::filesystem::path& logs_dir) {
  std::filesystem::path folder;
  if (!logs_dir.empty()) {
    std::error_code ignored;  // a failure leaves the path relative, and the watch then fails
    folder = std::filesystem::absolute(logs_dir, ignored).lexically_normal();
    if (!folder.has_filename()) {
      folder = folder.parent_path();  // "/session/logs/" names the same folder as ".../logs"
    }
  }
  if (folder == logs_dir_ && (folder.empty() || watching())) {
    return;
  }

  stop_watching();
  logs_dir_ = std::move(folder);
  if (logs_dir_.empty() || !open_inotify()) {
    return;
  }
  start_watching(StartAt::kEndOfFile);
}

bool InputLogWatcher::open_inotify() {
  if (inotify_.is_open()) {
    return true;
  }
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    shared::log_warn("idle.input_logs_unwatched",
                     {shared::field("folder", logs_dir_.string()),
                      shared::field("reason", "inotify_init1 failed: " + errno_text(errno))});
    return false;
  }
  boost::system::error_code error;
  inotify_.assign(fd, error);
  if (error) {
    ::close(fd);
    shared::log_warn("idle.input_logs_unwatched",
                     {shared::field("folder", logs_dir_.string()),
                      shared::field("reason", "cannot register inotify: " + error.message())});
    return false;
  }
  read_events();
  return true;
}

void InputLogWatcher::stop_watching() {
  remove_watch(logs_watch_);
  remove_watch(parent_watch_);
  files_.clear();
  file_limit_logged_ = false;
  logs_dir_.clear();
  ++generation_;
}

// Watches the logs folder, or its parent until the logs folder appears.
void InputLogWatcher::start_watching(StartAt start) {
  if (add_logs_watch(start) || !add_parent_watch()) {
    return;
  }
  // The logs folder may have appeared between the two calls. Its files are new then.
  if (add_logs_watch(StartAt::kStartOfFile)) {
    remove_watch(parent_watch_);
  }
}

bool InputLogWatcher::add_logs_watch(StartAt start) {
  const int watch =
      ::inotify_add_watch(inotify_.native_handle(), logs_dir_.c_str(), kLogsFolderEvents);
  if (watch < 0) {
    return false;
  }
  logs_watch_ = watch;
  shared::log_info("idle.input_logs_watched", {shared::field("folder", logs_dir_.string())});
  follow_all(start);
  return true;
}

bool InputLogWatcher::add_parent_watch() {
  const std::filesystem::path parent = logs_dir_.parent_path();
  const int watch =
      ::inotify_add_watch(inotify_.native_handle(), parent.c_str(), kSessionFolderEvents);
  if (watch < 0) {
    const int error_number = errno;
    shared::log_warn("idle.input_logs_unwatched",
                     {shared::field("folder", logs_dir_.string()),
                      shared::field("reason", "neither the folder nor its parent can be watched: " +
                                                  errno_text(error_number))});
    return false;
  }
  parent_watch_ = watch;
  shared::log_info("idle.input_logs_awaited", {shared::field("folder", logs_dir_.string())});
  return true;
}

void InputLogWatcher::remove_watch(int& watch) {
  if (watch >= 0) {
    // Fails with EINVAL when the kernel has already dropped the watch, which is fine.
    ::inotify_rm_watch(inotify_.native_handle(), watch);
  }
  watch = -1;
}

void InputLogWatcher::read_events() {
  inotify_.async_read_some(
      boost::asio::buffer(events_), [this, alive = std::weak_ptr<bool>(alive_)](
                                        const boost::system::error_code& error, std::size_t bytes) {
        if (error == boost::asio::error::operation_aborted || !alive.lock()) {
          return;
        }
        if (error) {
          shared::log_error("idle.inotify_read_failed", {shared::field("error", error.message())});
          return;
        }
        handle_events(bytes);
        read_events();
      });
}

// Walks the events of one read. The kernel returns whole events only: a header, then `len`
// bytes of NUL-padded name.
void InputLogWatcher::handle_events(std::size_t bytes) {
  std::size_t offset = 0;
  while (bytes - offset >= sizeof(inotify_event)) {
    inotify_event event{};
    std::memcpy(&event, events_.data() + offset, sizeof(event));
    const char* name_start = events_.data() + offset + sizeof(event);
    const std::size_t name_bytes = std::min<std::size_t>(event.len, bytes - offset - sizeof(event));
    const std::string name(name_start, ::strnlen(name_start, name_bytes));
    offset += sizeof(event) + name_bytes;

    handle_event(event, name);
  }
}

void InputLogWatcher::handle_event(const inotify_event& event, std::string_view name) {
  if ((event.mask & IN_Q_OVERFLOW) != 0) {
    rescan();
  } else if (event.wd >= 0 && event.wd == parent_watch_) {
    handle_parent_event(event, name);
  } else if (event.wd >= 0 && event.wd == logs_watch_) {
    handle_logs_event(event, name);
  }
  // Anything else belongs to a watch removed earlier.
}

void InputLogWatcher::handle_parent_event(const inotify_event& event, std::string_view name) {
  if ((event.mask & kWatchEndEvents) != 0) {
    remove_watch(parent_watch_);
    shared::log_warn("idle.input_logs_unwatched",
                     {shared::field("folder", logs_dir_.string()),
                      shared::field("reason", "the session folder was removed")});
    return;
  }
  const bool logs_appeared = (event.mask & IN_ISDIR) != 0 && name == logs_dir_.filename().string();
  if (logs_appeared && add_logs_watch(StartAt::kStartOfFile)) {
    remove_watch(parent_watch_);
  }
}

void InputLogWatcher::handle_logs_event(const inotify_event& event, std::string_view name) {
  if ((event.mask & kWatchEndEvents) != 0) {
    handle_logs_gone(event);
    return;
  }
  if ((event.mask & IN_ISDIR) != 0 || !is_input_log_name(name)) {
    return;
  }

  const std::string file_name(name);
  if ((event.mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
    files_.erase(file_name);
    return;
  }
  if ((event.mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
    follow(file_name, StartAt::kStartOfFile);
  }
  // A file that is not followed (unreadable, or over kMaxInputLogFiles) stays unread.
  if (files_.contains(file_name)) {
    read_file(file_name);
  }
}

// The logs folder was deleted or moved away: wait for a new one, whose files are all new.
void InputLogWatcher::handle_logs_gone(const inotify_event& event) {
  if ((event.mask & IN_IGNORED) == 0) {
    remove_watch(logs_watch_);
  }
  logs_watch_ = -1;
  files_.clear();
  ++generation_;
  shared::log_info("idle.input_logs_removed", {shared::field("folder", logs_dir_.string())});
  start_watching(StartAt::kStartOfFile);
}

// The kernel's event queue overflowed, so events were lost: check every file again. Files not
// followed yet were created after watch(), so they are read from their start.
void InputLogWatcher::rescan() {
  shared::log_warn("idle.inotify_overflow", {shared::field("folder", logs_dir_.string())});
  if (logs_watch_ < 0) {
    if (parent_watch_ >= 0 && add_logs_watch(StartAt::kStartOfFile)) {
      remove_watch(parent_watch_);
    }
    return;
  }

  std::erase_if(files_, [this](const auto& entry) {
    std::error_code error;
    return !std::filesystem::exists(logs_dir_ / entry.first, error);
  });
  for (const std::string& name : input_log_names(logs_dir_)) {
    if (follow(name, StartAt::kStartOfFile) != nullptr) {
      post_read(name);
    }
  }
}

// Follows every input event file in the logs folder. Files read from their start are read from
// a posted handler, so that watch() itself never calls the listener.
void InputLogWatcher::follow_all(StartAt start) {
  for (const std::string& name : input_log_names(logs_dir_)) {
    if (follow(name, start) != nullptr && start == StartAt::kStartOfFile) {
      post_read(name);
    }
  }
}

// Opens the file now at `name` and follows it, unless it is the file already followed. Returns
// the followed file, or nullptr when it cannot be followed.
InputLogWatcher::FollowedFile* InputLogWatcher::follow(const std::string& name, StartAt start) {
  const std::filesystem::path path = logs_dir_ / name;
  shared::OpenFileResult opened = shared::ReadOnlyFile::open(path);
  shared::FileStatusResult status;
  if (opened.ok() && opened.file) {
    status = opened.file->status();
  }
  if (!opened.ok() || !status.ok()) {
    const std::string& error = opened.ok() ? status.error : opened.error;
    shared::log_warn("idle.input_log_unreadable",
                     {shared::field("file", path.string()), shared::field("error", error)});
  }
  if (!opened.ok() || !opened.file || !status.ok()) {
    files_.erase(name);
    return nullptr;
  }

  const auto found = files_.find(name);
  if (found != files_.end() && found->second.identity.device == status.status.device &&
      found->second.identity.inode == status.status.inode) {
    return &found->second;
  }
  if (found == files_.end() && files_.size() >= kMaxInputLogFiles) {
    if (!file_limit_logged_) {
      shared::log_warn("idle.input_log_limit", {shared::field("folder", logs_dir_.string()),
                                                shared::field("max_files", kMaxInputLogFiles)});
      file_limit_logged_ = true;
    }
    return nullptr;
  }

  const shared::ForwardPosition position =
      start == StartAt::kEndOfFile ? start_of_last_line(*opened.file, status.status.size)
                                   : shared::ForwardPosition{};
  FollowedFile followed{std::move(*opened.file), status.status, position};
  return &files_.insert_or_assign(name, std::move(followed)).first->second;
}

void InputLogWatcher::post_read(const std::string& name) {
  const auto found = files_.find(name);
  if (found == files_.end() || found->second.read_posted) {
    return;
  }
  found->second.read_posted = true;
  boost::asio::post(io_,
                    [this, alive = std::weak_ptr<bool>(alive_), generation = generation_, name] {
                      if (!alive.lock() || generation != generation_) {
                        return;
                      }
                      const auto followed = files_.find(name);
                      if (followed != files_.end()) {
                        followed->second.read_posted = false;
                        read_file(name);
                      }
                    });
}

// Reads the complete lines appended since the last read, at most kMaxInputLogReadBytesPerStep
// bytes, and reports them. A larger backlog continues in a posted read.
void InputLogWatcher::read_file(const std::string& name) {
  FollowedFile& followed = files_.at(name);
  const shared::FileStatusResult status = followed.file.status();
  if (!status.ok()) {
    shared::log_warn(
        "idle.input_log_unreadable",
        {shared::field("file", (logs_dir_ / name).string()), shared::field("error", status.error)});
    files_.erase(name);
    return;
  }

  // NOTE: a file truncated and then regrown past the read offset between two reads is not
  // noticed, because the size is the only sign of a truncation. Its new lines before the offset
  // are then missed.
  const std::uint64_t size = status.status.size;
  if (size < followed.position.offset) {
    followed.position = {};
  }
  const std::uint64_t start = followed.position.offset;
  shared::ForwardReadResult result =
      shared::read_complete_lines(followed.file, followed.position, size,
                                  std::numeric_limits<std::size_t>::max(), line_options());
  if (!result.ok()) {
    shared::log_warn(
        "idle.input_log_unreadable",
        {shared::field("file", (logs_dir_ / name).string()), shared::field("error", result.error)});
    return;
  }
  followed.position = result.next;
  lines_skipped_ += result.skipped_long_lines;
  if (result.file_shrank || size - start > kMaxInputLogReadBytesPerStep) {
    post_read(name);
  }

  // The listener may switch folders, which drops `followed` and the lines left.
  const std::uint64_t generation = generation_;
  for (const shared::LineRecord& line : result.lines) {
    report_line(line.text);
    if (generation != generation_) {
      return;
    }
  }
}

void InputLogWatcher::report_line(std::string_view line) {
  const nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
  if (!event.is_object()) {
    ++lines_skipped_;
    return;
  }
  ++lines_seen_;
  listener_(InputLogLine{origin_of(event), epoch_ms_of(event)});
}

}  // namespace winebot::node

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "node/idle/activity.hpp"
#include "shared/jsonl/tail_reader.hpp"

struct inotify_event;

namespace winebot::node {

// Maximum length of one input event line, in bytes. Longer lines are skipped without being held
// whole in memory, and counted.
inline constexpr std::size_t kMaxInputEventLineBytes = 64 * 1024;

// Bytes read from one file per wake-up. A larger append is read in further steps posted to the
// io_context, so that other handlers run in between.
inline constexpr std::uint64_t kMaxInputLogReadBytesPerStep = 4 * 1024 * 1024;

// Maximum number of input event files followed in one logs folder. Further files are ignored.
inline constexpr std::size_t kMaxInputLogFiles = 64;

// Size of the buffer for inotify events. One event with the longest file name (NAME_MAX) takes
// 272 bytes.
inline constexpr std::size_t kInotifyBufferBytes = 16 * 1024;

// One new input event line: who produced it, and when, from the line's `timestamp_epoch_ms`
// (WineBot's input events), `t_wall_ms` (its X11 tracer) or `t_epoch_ms`, in that order.
struct InputLogLine {
  ActivityOrigin origin = ActivityOrigin::kUnknown;
  std::optional<std::int64_t> epoch_ms;  // empty when the line has no such integer field
};

// Reports each complete line appended to the input event logs of one session: the files named
// input_events*.jsonl in its logs folder (input_events.jsonl, input_events_client.jsonl, ...).
// Each line reports the origin named by its JSON `origin` field: "user", "agent", or kUnknown for
// any other value or none. Lines that are not JSON objects, and lines over
// kMaxInputEventLineBytes, are skipped and counted. Blank lines are ignored.
//
// A file is followed with a read offset of its own, and only lines ending in '\n' count, so a
// line still being written is reported once its end arrives. A file that shrinks, a new file
// that replaces a followed one, and a file created after watch() are read from their start.
//
// Threading: every method, the inotify handler and the listener run on the io_context thread,
// which owns all members. Destroy the watcher there too, or while the io_context is not running.
class InputLogWatcher {
 public:
  using Listener = std::function<void(const InputLogLine& line)>;

  // Watches nothing until watch() is called. The listener must not destroy the watcher.
  InputLogWatcher(boost::asio::io_context& io, Listener listener);
  ~InputLogWatcher();
  InputLogWatcher(const InputLogWatcher&) = delete;
  InputLogWatcher& operator=(const InputLogWatcher&) = delete;

  // Watches `logs_dir` from now on: lines already in the files are skipped, only appended lines
  // count. A line that was incomplete at this call counts once its end is appended. An empty
  // path stops watching. A call with the path already watched does nothing.
  //
  // When `logs_dir` does not exist yet, its parent (the session folder) is watched until
  // `logs_dir` appears, and its files are then read from their start. When the parent does not
  // exist either, or inotify fails, the call logs a warning and watches nothing. A later call
  // with the same path then tries again. The listener is never called from inside watch().
  void watch(const std::filesystem::path& logs_dir);

  // Lines reported to the listener.
  std::uint64_t lines_seen() const { return lines_seen_; }
  // Lines that are not JSON objects, or longer than kMaxInputEventLineBytes.
  std::uint64_t lines_skipped() const { return lines_skipped_; }

 private:
  // Position at which reading starts in a file that is not followed yet.
  enum class StartAt { kEndOfFile, kStartOfFile };

  struct FollowedFile {
    shared::ReadOnlyFile file;
    shared::FileStatus identity;
    shared::ForwardPosition position;
    bool read_posted = false;  // a read of this file is queued on the io_context
  };

  bool watching() const { return logs_watch_ >= 0 || parent_watch_ >= 0; }
  bool open_inotify();
  void stop_watching();
  void start_watching(StartAt start);
  bool add_logs_watch(StartAt start);
  bool add_parent_watch();
  void remove_watch(int& watch);

  void read_events();
  void handle_events(std::size_t bytes);
  void handle_event(const inotify_event& event, std::string_view name);
  void handle_parent_event(const inotify_event& event, std::string_view name);
  void handle_logs_event(const inotify_event& event, std::string_view name);
  void handle_logs_gone(const inotify_event& event);
  void rescan();

  void follow_all(StartAt start);
  FollowedFile* follow(const std::string& name, StartAt start);
  void post_read(const std::string& name);
  void read_file(const std::string& name);
  void report_line(std::string_view line);

  boost::asio::io_context& io_;
  Listener listener_;
  boost::asio::posix::stream_descriptor inotify_;

  std::filesystem::path logs_dir_;  // the folder requested, or empty
  int logs_watch_ = -1;             // inotify watch on logs_dir_, or -1
  int parent_watch_ = -1;           // inotify watch on its parent while logs_dir_ is missing
  std::map<std::string, FollowedFile> files_;  // by file name inside logs_dir_
  bool file_limit_logged_ = false;

  // Incremented whenever the followed files are dropped, so that queued reads of an earlier
  // folder, and a listener call that switched folders, stop early.
  std::uint64_t generation_ = 0;

  std::uint64_t lines_seen_ = 0;
  std::uint64_t lines_skipped_ = 0;

  alignas(8) std::array<char, kInotifyBufferBytes> events_{};
  // Reset by the destructor, so that handlers still queued do not touch the watcher.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace winebot::node

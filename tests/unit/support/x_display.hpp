#pragma once

// Child processes for tests that need a real X server: an Xvfb started and stopped by the test,
// and X clients such as xdotool run against it. Every wait is bounded.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shared/util/unique_fd.hpp"
#include "tests/unit/support/run_until.hpp"
#include "tests/unit/support/temp_folder.hpp"

extern char** environ;

namespace winebot::test {

// Returns the path of `program` in a folder of PATH, or an empty path when it is not there.
inline std::filesystem::path find_on_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const std::filesystem::path candidate = std::filesystem::path(folder) / program;
    if (!folder.empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

// Starts `argv` (argv[0] is looked up in PATH) with `environment`, its output appended to
// `output_file`. Returns the pid, or -1 with errno set when the process cannot be started.
inline pid_t spawn_process(const std::vector<std::string>& argv,
                           const std::vector<std::string>& environment,
                           const std::filesystem::path& output_file) {
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  std::vector<char*> env;
  for (const std::string& entry : environment) {
    env.push_back(const_cast<char*>(entry.c_str()));
  }
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    errno = error;
    return -1;
  }
  return pid;
}

// Waits up to `limit` for child `pid` to exit. Returns its waitpid status, or nullopt when it is
// still running.
inline std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// This process's environment without DISPLAY, and with DISPLAY=`display` when it is not empty.
inline std::vector<std::string> environment_with_display(const std::string& display) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with("DISPLAY=")) {
      environment.emplace_back(*entry);
    }
  }
  if (!display.empty()) {
    environment.push_back("DISPLAY=" + display);
  }
  return environment;
}

// The last `max_bytes` of a file, for error messages.
inline std::string file_tail(const std::filesystem::path& file, std::size_t max_bytes = 2000) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

// Whether a server accepts connections on the X socket /tmp/.X11-unix/X<number>.
inline bool x_socket_accepts(int display_number) {
  const std::string path = "/tmp/.X11-unix/X" + std::to_string(display_number);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

// The pid in the X lock file /tmp/.X<number>-lock when that process is running, else 0.
inline pid_t x_lock_owner(int display_number) {
  std::ifstream lock("/tmp/.X" + std::to_string(display_number) + "-lock");
  long pid = 0;
  if (!(lock >> pid) || pid <= 0) {
    return 0;
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM ? static_cast<pid_t>(pid) : 0;
}

// Maximum time a test waits for another test process to release a display number.
inline constexpr std::chrono::milliseconds kDisplayLockPatience{60000};

// Takes an exclusive flock on /tmp/winebot-unit-x<number>.lock, waiting up to
// kDisplayLockPatience. ctest runs test cases in parallel processes, and other build folders may
// run the same tests, so the tests that start a server on one display number take turns.
// Returns an empty handle when the wait timed out.
inline shared::UniqueFd lock_display_number(int display_number) {
  const std::string path = "/tmp/winebot-unit-x" + std::to_string(display_number) + ".lock";
  shared::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
  if (!fd) {
    return {};
  }
  const auto deadline = std::chrono::steady_clock::now() + kDisplayLockPatience;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fd;
}

// An Xvfb on display :<number>, started by the constructor and stopped by the destructor. Check
// error() after construction: it is empty when the server accepts connections, and otherwise
// describes why it does not (Xvfb missing from PATH, display in use, Xvfb exited early).
class XvfbServer {
 public:
  explicit XvfbServer(int display_number, std::vector<std::string> extra_args = {})
      : display_number_(display_number) {
    if (find_on_path("Xvfb").empty()) {
      error_ = "Xvfb is not on PATH; scripts/setup.sh installs it (Debian package xvfb)";
      return;
    }
    display_lock_ = lock_display_number(display_number);
    if (!display_lock_) {
      error_ = "another test process kept display " + display() + " for " +
               std::to_string(kDisplayLockPatience.count()) + " ms (lock file /tmp/winebot-unit-x" +
               std::to_string(display_number) + ".lock)";
      return;
    }
    if (const pid_t owner = x_lock_owner(display_number); owner != 0) {
      error_ = "display " + display() + " is already in use by pid " + std::to_string(owner) +
               "; stop that server before running this test";
      return;
    }
    start(std::move(extra_args));
  }
  ~XvfbServer() { stop(); }
  XvfbServer(const XvfbServer&) = delete;
  XvfbServer& operator=(const XvfbServer&) = delete;

  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  std::string display() const { return ":" + std::to_string(display_number_); }

  // Stops the server with SIGTERM (SIGCONT first, in case a test stopped it), or SIGKILL when it
  // has not exited within kPatience.
  void stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    if (!wait_for_exit(pid_, kPatience)) {
      ::kill(pid_, SIGKILL);
      wait_for_exit(pid_, kPatience);
    }
    pid_ = -1;
  }

 private:
  void start(std::vector<std::string> extra_args) {
    std::vector<std::string> argv{"Xvfb",       display(),   "-screen", "0",
                                  "320x240x24", "-nolisten", "tcp"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    pid_ = spawn_process(argv, environment_with_display(""), log_file());
    if (pid_ <= 0) {
      error_ = "cannot start Xvfb: " + std::string(std::strerror(errno));
      return;
    }

    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!x_socket_accepts(display_number_)) {
      if (const auto status = wait_for_exit(pid_, std::chrono::milliseconds(10))) {
        pid_ = -1;
        error_ = "Xvfb " + display() + " exited with status " + std::to_string(*status) +
                 " before accepting connections. Its output:\n" + file_tail(log_file());
        return;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        error_ = "Xvfb " + display() + " did not accept connections within " +
                 std::to_string(kPatience.count()) + " ms. Its output:\n" + file_tail(log_file());
        return;
      }
    }
  }

  std::filesystem::path log_file() const { return folder_.file("xvfb.log"); }

  int display_number_;
  shared::UniqueFd display_lock_;  // released after the server has exited
  TempFolder folder_;
  pid_t pid_ = -1;
  std::string error_;
};

// Runs an X client such as `xdotool mousemove 10 10` on `display` and waits up to kPatience for
// it to exit. Returns an empty string on exit status 0, else what went wrong with its output.
inline std::string run_x_client(const std::string& display, const std::vector<std::string>& argv) {
  if (find_on_path(argv.at(0)).empty()) {
    return argv[0] + " is not on PATH; scripts/setup.sh installs it";
  }
  const TempFolder folder;
  const pid_t pid = spawn_process(argv, environment_with_display(display), folder.file("out"));
  if (pid <= 0) {
    return "cannot start " + argv[0];
  }
  const std::optional<int> status = wait_for_exit(pid, kPatience);
  if (!status) {
    ::kill(pid, SIGKILL);
    wait_for_exit(pid, kPatience);
    return argv[0] + " did not exit within " + std::to_string(kPatience.count()) + " ms";
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return argv[0] + " failed with status " + std::to_string(*status) + ": " +
           file_tail(folder.file("out"));
  }
  return {};
}

}  // namespace winebot::test

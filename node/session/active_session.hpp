#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace winebot::node {

// WineBot's pointer file naming the active session folder, written by WineBot's API.
inline constexpr const char* kSessionPointerFile = "/tmp/winebot_current_session";

// Decides which session folder the node serves, in this order: the one its recorder started;
// else the one given by --session-dir or WINEBOT_SESSION_DIR; else the one WineBot's pointer file
// names. The pointer file is read on every call, so a session switch by WineBot is seen at once.
// Threading: belongs to the io_context thread.
class ActiveSession {
 public:
  ActiveSession(std::optional<std::filesystem::path> configured,
                std::filesystem::path pointer_file = kSessionPointerFile);

  // The active session folder, or nullopt when there is none. The folder may not exist yet.
  std::optional<std::filesystem::path> current() const;
  // The session id, which is always the folder's name.
  std::optional<std::string> current_id() const;

  // Called by the recorder when it starts a session; nullopt hands control back to the
  // configured folder and the pointer file.
  void set_recorder_session(std::optional<std::filesystem::path> folder);

 private:
  std::optional<std::filesystem::path> recorder_session_;
  std::optional<std::filesystem::path> configured_;
  std::filesystem::path pointer_file_;
};

}  // namespace winebot::node

#include "node/session/active_session.hpp"

#include "shared/util/files.hpp"

namespace winebot::node {

ActiveSession::ActiveSession(std::optional<std::filesystem::path> configured,
                             std::filesystem::path pointer_file)
    : configured_(std::move(configured)), pointer_file_(std::move(pointer_file)) {}

std::optional<std::filesystem::path> ActiveSession::current() const {
  if (recorder_session_) {
    return recorder_session_;
  }
  if (configured_) {
    return configured_;
  }
  const auto content = shared::read_text_file(pointer_file_);
  if (!content) {
    return std::nullopt;
  }
  const auto first = content->find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return std::nullopt;  // WineBot writes an empty file when no session is active.
  }
  const auto last = content->find_last_not_of(" \t\r\n");
  return std::filesystem::path(content->substr(first, last - first + 1));
}

std::optional<std::string> ActiveSession::current_id() const {
  const auto folder = current();
  if (!folder) {
    return std::nullopt;
  }
  const auto name = folder->lexically_normal().filename().string();
  if (!name.empty()) {
    return name;
  }
  return folder->lexically_normal().parent_path().filename().string();
}

void ActiveSession::set_recorder_session(std::optional<std::filesystem::path> folder) {
  recorder_session_ = std::move(folder);
}

}  // namespace winebot::node

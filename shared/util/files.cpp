#include "shared/util/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "shared/util/unique_fd.hpp"

namespace winebot::shared {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

void write_all(int fd, const std::string& content, const std::filesystem::path& path) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t count = ::write(fd, content.data() + written, content.size() - written);
    if (count < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("failed to write", path);
    }
    written += static_cast<std::size_t>(count);
  }
}

}  // namespace

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    return std::nullopt;
  }
  std::ostringstream content;
  content << input.rdbuf();
  if (input.bad()) {
    return std::nullopt;
  }
  return content.str();
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(folder);
  const auto temporary = folder / ("." + path.filename().string() + ".tmp");

  UniqueFd file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!file) {
    throw_errno("failed to create", temporary);
  }
  try {
    write_all(file.get(), content, temporary);
    if (::fsync(file.get()) != 0) {
      throw_errno("failed to fsync", temporary);
    }
    file.reset();
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      throw_errno("failed to rename over", path);
    }
  } catch (...) {
    ::unlink(temporary.c_str());  // A failed write must not leave a stray file beside `path`.
    throw;
  }
  UniqueFd directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory) {
    ::fsync(directory.get());  // Best effort: some file systems refuse fsync on folders.
  }
}

}  // namespace winebot::shared

#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace winebot::shared {

// Reads a whole small file; returns nullopt when it does not exist or cannot be read.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

// Replaces `path` with `content` so that readers see either the old or the new file, never a
// partial one: write a temporary file beside it, fsync it, rename it over `path`, fsync the
// folder. Creates missing parent folders. Throws std::system_error on failure.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace winebot::shared

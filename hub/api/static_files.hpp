#pragma once

#include <filesystem>
#include <string>

#include "shared/http/http_message.hpp"

namespace winebot::hub {

// Largest file the dashboard serves; anything bigger is not part of the dashboard.
inline constexpr std::uintmax_t kMaxStaticFileBytes = 8 * 1024 * 1024;

// Serves `request.path` from below `root`: "/" means index.html, a path with a ".." segment or a
// NUL byte gets 400, a missing file 404, both as JSON `detail`. Symbolic links that lead outside
// `root` are refused with 404.
shared::HttpResponse serve_static_file(const std::filesystem::path& root,
                                       const shared::HttpRequest& request);

// The Content-Type for a file name's extension; application/octet-stream when unknown.
std::string content_type_for(const std::filesystem::path& path);

}  // namespace winebot::hub

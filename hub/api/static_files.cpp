#include "hub/api/static_files.hpp"

#include <algorithm>
#include <map>
#include <system_error>

#include "shared/http/router.hpp"
#include "shared/util/files.hpp"

namespace winebot::hub {

std::string content_type_for(const std::filesystem::path& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".map", "application/json"},
  };
  const auto it = kTypes.find(path.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

shared::HttpResponse serve_static_file(const std::filesystem::path& root,
                                       const shared::HttpRequest& request) {
  const auto segments = shared::split_path(request.path);
  std::filesystem::path relative;
  for (const auto& segment : segments) {
    if (segment == ".." || segment == "." || segment.find('\0') != std::string::npos) {
      return shared::HttpResponse::error(400, "invalid path: " + request.path);
    }
    relative /= segment;
  }
  if (relative.empty()) {
    relative = "index.html";
  }

  std::error_code error;
  const auto canonical_root = std::filesystem::weakly_canonical(root, error);
  auto path = std::filesystem::weakly_canonical(root / relative, error);
  const auto [root_end, unused] =
      std::mismatch(canonical_root.begin(), canonical_root.end(), path.begin(), path.end());
  if (error || root_end != canonical_root.end()) {
    return shared::HttpResponse::error(404, "Not Found");
  }
  if (std::filesystem::is_directory(path, error)) {
    path /= "index.html";
  }
  if (!std::filesystem::is_regular_file(path, error) ||
      std::filesystem::file_size(path, error) > kMaxStaticFileBytes) {
    return shared::HttpResponse::error(404, "Not Found");
  }
  const auto content = shared::read_text_file(path);
  if (!content) {
    return shared::HttpResponse::error(404, "Not Found");
  }

  shared::HttpResponse response;
  response.content_type = content_type_for(path);
  response.body = *content;
  response.set_header("Cache-Control", "no-cache");
  return response;
}

}  // namespace winebot::hub

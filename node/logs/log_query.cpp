#include "node/logs/log_query.hpp"

#include <nlohmann/json.hpp>

#include "shared/config/option_parser.hpp"

namespace winebot::node {
namespace {

shared::HttpResponse integer_expected(const std::string& name, const std::string& value) {
  return shared::HttpResponse::json(
      422, {{"detail", nlohmann::json::array({{{"loc", {"query", name}},
                                               {"msg", "Input should be a valid integer"},
                                               {"type", "int_parsing"},
                                               {"input", value}}})}});
}

bool is_under(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const auto relative = path.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != "..";
}

bool allowed_session_dir(const std::filesystem::path& path, const LogQuerySettings& settings) {
  for (const char* prefix : kAllowedSessionPrefixes) {
    if (is_under(path, prefix)) {
      return true;
    }
  }
  return is_under(path, settings.session_root);
}

}  // namespace

QueryResult<std::size_t> parse_limit(const shared::HttpRequest& request, std::size_t default_limit,
                                     std::size_t max_limit) {
  const auto text = request.query_value("limit");
  if (!text) {
    return default_limit;
  }
  const auto value = shared::parse_integer(*text);
  if (!value) {
    return integer_expected("limit", *text);
  }
  if (*value < 1) {
    return shared::HttpResponse::error(400, "limit must be >= 1");
  }
  if (static_cast<unsigned long long>(*value) > max_limit) {
    return shared::HttpResponse::error(400, "limit must be <= " + std::to_string(max_limit));
  }
  return static_cast<std::size_t>(*value);
}

QueryResult<std::optional<long long>> parse_optional_integer(const shared::HttpRequest& request,
                                                             const std::string& name) {
  const auto text = request.query_value(name);
  if (!text) {
    return std::optional<long long>();
  }
  const auto value = shared::parse_integer(*text);
  if (!value) {
    return integer_expected(name, *text);
  }
  return std::optional<long long>(*value);
}

QueryResult<std::optional<std::filesystem::path>> resolve_session_target(
    const shared::HttpRequest& request, const ActiveSession& session,
    const LogQuerySettings& settings) {
  using Target = std::optional<std::filesystem::path>;
  std::optional<std::filesystem::path> named;

  if (const auto dir = request.query_value("session_dir"); dir && !dir->empty()) {
    const auto path = std::filesystem::path(*dir).lexically_normal();
    if (!path.is_absolute() || !allowed_session_dir(path, settings)) {
      return shared::HttpResponse::error(
          400, "invalid session_dir '" + *dir +
                   "': it must be an absolute path under /apps, "
                   "/wineprefix, /tmp, /artifacts, /opt/winebot, /usr/bin or the session root");
    }
    named = path;
  } else if (const auto id = request.query_value("session_id"); id && !id->empty()) {
    if (id->find('/') != std::string::npos || id->find("..") != std::string::npos) {
      return shared::HttpResponse::error(
          400, "invalid session_id '" + *id + "': it must not contain '/' or '..'");
    }
    const auto root = request.query_value("session_root");
    named = std::filesystem::path(root && !root->empty() ? *root : settings.session_root.string()) /
            *id;
  }

  if (!named) {
    return Target(session.current());
  }
  std::error_code error;
  if (!std::filesystem::is_directory(*named, error)) {
    return shared::HttpResponse::error(404, "Session directory not found");
  }
  return Target(named);
}

}  // namespace winebot::node

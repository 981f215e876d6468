#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include "node/session/active_session.hpp"
#include "shared/http/http_message.hpp"

namespace winebot::node {

// Folders under which a `session_dir` query parameter may point, as in WineBot; the configured
// session root is allowed too.
inline constexpr const char* kAllowedSessionPrefixes[] = {"/apps",      "/wineprefix",  "/tmp",
                                                          "/artifacts", "/opt/winebot", "/usr/bin"};

struct LogQuerySettings {
  std::size_t max_events = 2000;  // WINEBOT_MAX_EVENTS_QUERY.
  std::filesystem::path session_root = "/artifacts/sessions";
};

// Either a value or the error response to send instead.
template <typename T>
using QueryResult = std::variant<T, shared::HttpResponse>;

// Reads `limit` as WineBot does. Absent means `default_limit`, and a value that is not an integer
// gives 422 with a FastAPI-style detail list. Below 1 gives 400 "limit must be >= 1", and above
// the maximum 400 "limit must be <= N".
QueryResult<std::size_t> parse_limit(const shared::HttpRequest& request, std::size_t default_limit,
                                     std::size_t max_limit);

// Reads an optional integer query parameter; not an integer gives 422.
QueryResult<std::optional<long long>> parse_optional_integer(const shared::HttpRequest& request,
                                                             const std::string& name);

// The session folder a log request targets: the one named by `session_dir`, or by `session_id`
// under `session_root` (or the configured root), else the active session, which may be none.
// A `session_dir` outside the allowed folders or a `session_id` with "/" or ".." gives 400 (where
// WineBot returned 500), and a named folder that does not exist gives 404 "Session directory not
// found".
QueryResult<std::optional<std::filesystem::path>> resolve_session_target(
    const shared::HttpRequest& request, const ActiveSession& session,
    const LogQuerySettings& settings);

}  // namespace winebot::node

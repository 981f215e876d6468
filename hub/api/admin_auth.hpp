#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "shared/http/router.hpp"

namespace winebot::hub {

// Name of the session cookie that POST /api/login sets.
inline constexpr const char* kSessionCookie = "winebot_hub_session";
// How long a login session lasts; a new login is needed afterwards.
inline constexpr std::chrono::hours kSessionLifetime{12};
// Sessions kept at once; a login beyond it ends the session closest to expiry.
inline constexpr std::size_t kMaxSessions = 1024;
// Maximum POST /api/login body size, because a token is at most 4 KiB.
inline constexpr std::size_t kMaxLoginBodyBytes = 8 * 1024;

// Failed logins allowed in any kLoginFailureWindow before POST /api/login returns 429 until the
// oldest of them leaves the window. The limit is fleet-wide, not per address, because the
// tokens are long random strings and guessing from many addresses must be slow too.
inline constexpr std::size_t kMaxLoginFailures = 10;
inline constexpr std::chrono::seconds kLoginFailureWindow{60};

// Authorization of the hub's action routes. Reads stay open; an action needs the admin token
// (WINEBOT_HUB_ADMIN_TOKEN) as `Authorization: Bearer TOKEN`, or the session cookie of a login.
// Without an admin token every action gets 403, so a hub is read-only by default.
// The cookie contains a random 256-bit session id, never the token, and the table stores only the
// id's SHA-256, so neither a timing difference in the lookup nor a memory dump reveals live ids.
// Threading: belongs to the hub's io_context thread, like the router.
class AdminAuth {
 public:
  // `now` is injected so tests control session expiry.
  explicit AdminAuth(
      std::string admin_token,
      std::function<std::chrono::steady_clock::time_point()> now = &std::chrono::steady_clock::now);

  bool enabled() const { return !admin_token_.empty(); }

  // Returns nullopt when `request` may run an action, else the response to send: 403 when no
  // admin token is configured, 401 when the credentials are missing or wrong.
  std::optional<shared::HttpResponse> check(const shared::HttpRequest& request);

  // POST /api/login: a JSON body {"token": "..."} or a form body token=...; sets the cookie.
  shared::HttpResponse login(const shared::HttpRequest& request);
  // POST /api/logout: ends the cookie's session, if any, and clears the cookie.
  shared::HttpResponse logout(const shared::HttpRequest& request);

  std::size_t session_count() const { return sessions_.size(); }

 private:
  std::optional<shared::HttpResponse> check_same_origin(const shared::HttpRequest& request) const;
  bool has_session(const std::string& session_id);
  std::string start_session();
  void drop_expired();

  std::string admin_token_;
  std::function<std::chrono::steady_clock::time_point()> now_;
  // SHA-256 of each live session id, to its expiry.
  std::map<std::string, std::chrono::steady_clock::time_point> sessions_;
  // Times of the failed logins inside kLoginFailureWindow, oldest first.
  std::deque<std::chrono::steady_clock::time_point> login_failures_;
};

// Adds POST /api/login and POST /api/logout, served by `auth`, which must outlive the router.
void add_admin_auth_routes(shared::Router& router, AdminAuth& auth);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
std::optional<std::string> cookie_value(const std::string& header, const std::string& name);

// The token of a login body: JSON {"token": "..."} when `content_type` is JSON, else a form body
// `token=...`. Returns nullopt when the body has no token.
std::optional<std::string> login_token(const std::string& content_type, const std::string& body);

}  // namespace winebot::hub

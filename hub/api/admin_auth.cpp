#include "hub/api/admin_auth.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

#include "shared/crypto/digest.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {
namespace {

constexpr std::size_t kSessionIdBytes = 32;
constexpr const char* kDisabledDetail =
    "node actions are disabled: set WINEBOT_HUB_ADMIN_TOKEN (at least 16 characters) in the "
    "hub's environment and restart it to enable them";
constexpr const char* kMissingDetail =
    "missing admin credentials: send Authorization: Bearer TOKEN with the hub's admin token, or "
    "log in with POST /api/login";

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool starts_with_ignoring_case(const std::string& text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t index = 0; index < prefix.size(); ++index) {
    if (std::tolower(static_cast<unsigned char>(text[index])) !=
        std::tolower(static_cast<unsigned char>(prefix[index]))) {
      return false;
    }
  }
  return true;
}

shared::HttpResponse unauthorized(std::string_view detail) {
  auto response = shared::HttpResponse::error(401, detail);
  response.set_header("WWW-Authenticate", "Bearer realm=\"winebot-hub\"");
  return response;
}

// Limitation: the cookie lacks the Secure attribute because the hub serves plain HTTP, so on a
// network path that others can read, the session id travels in clear text like the bearer token.
std::string session_cookie(const std::string& value, long long max_age_s) {
  return std::string(kSessionCookie) + "=" + value +
         "; Path=/api; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
}

void log_rejection(const shared::HttpRequest& request, const char* reason) {
  shared::log_warn("admin.auth_rejected",
                   {shared::field("remote", request.remote_address),
                    shared::field("path", request.path), shared::field("reason", reason)});
}

}  // namespace

std::optional<std::string> cookie_value(const std::string& header, const std::string& name) {
  std::size_t start = 0;
  while (start < header.size()) {
    auto end = header.find(';', start);
    if (end == std::string::npos) {
      end = header.size();
    }
    const auto pair = trim(header.substr(start, end - start));
    const auto equals = pair.find('=');
    if (equals != std::string::npos && pair.substr(0, equals) == name) {
      return pair.substr(equals + 1);
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> login_token(const std::string& content_type, const std::string& body) {
  if (starts_with_ignoring_case(content_type, "application/json")) {
    const auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("token") || !parsed["token"].is_string()) {
      return std::nullopt;
    }
    return parsed["token"].get<std::string>();
  }
  std::string path;
  std::map<std::string, std::string> fields;
  // A form body has the syntax of a query string.
  if (!shared::split_target("?" + body, path, fields)) {
    return std::nullopt;
  }
  const auto it = fields.find("token");
  if (it == fields.end()) {
    return std::nullopt;
  }
  return it->second;
}

AdminAuth::AdminAuth(std::string admin_token,
                     std::function<std::chrono::steady_clock::time_point()> now)
    : admin_token_(std::move(admin_token)), now_(std::move(now)) {}

std::optional<shared::HttpResponse> AdminAuth::check(const shared::HttpRequest& request) {
  if (!enabled()) {
    return shared::HttpResponse::error(403, kDisabledDetail);
  }

  if (const auto authorization = request.header("authorization")) {
    if (!starts_with_ignoring_case(*authorization, "Bearer ")) {
      log_rejection(request, "not_bearer");
      return unauthorized("Authorization must be Bearer TOKEN with the hub's admin token");
    }
    if (!shared::secrets_equal(trim(authorization->substr(7)), admin_token_)) {
      log_rejection(request, "wrong_token");
      return unauthorized("invalid admin token in the Authorization header");
    }
    return std::nullopt;
  }

  const auto cookies = request.header("cookie");
  const auto session_id = cookies ? cookie_value(*cookies, kSessionCookie) : std::nullopt;
  if (!session_id) {
    log_rejection(request, "missing");
    return unauthorized(kMissingDetail);
  }
  if (!has_session(*session_id)) {
    log_rejection(request, "unknown_session");
    return unauthorized(
        "the login session has expired or was ended: log in again with "
        "POST /api/login");
  }
  return check_same_origin(request);
}

// Browsers send the cookie with requests from every page of the same site, and SameSite=Strict
// counts other ports and sibling subdomains as the same site. So a cookie-authenticated action
// must come from the hub's own pages: an Origin header, when present, must name the host the
// request was sent to, and Sec-Fetch-Site must not say cross-site or same-site.
std::optional<shared::HttpResponse> AdminAuth::check_same_origin(
    const shared::HttpRequest& request) const {
  const auto host = request.header("host").value_or("");
  if (const auto origin = request.header("origin");
      origin && *origin != "http://" + host && *origin != "https://" + host) {
    log_rejection(request, "cross_origin");
    return shared::HttpResponse::error(
        403, "the request comes from another origin (" + *origin +
                 "): send actions from the hub's own pages, or with Authorization: Bearer");
  }
  if (const auto site = request.header("sec-fetch-site");
      site && (*site == "cross-site" || *site == "same-site")) {
    log_rejection(request, "cross_site");
    return shared::HttpResponse::error(
        403,
        "the request comes from another site: send actions from the hub's own pages, or "
        "with Authorization: Bearer");
  }
  return std::nullopt;
}

shared::HttpResponse AdminAuth::login(const shared::HttpRequest& request) {
  if (!enabled()) {
    return shared::HttpResponse::error(403, kDisabledDetail);
  }
  if (request.body.size() > kMaxLoginBodyBytes) {
    return shared::HttpResponse::error(
        413, "login body exceeds " + std::to_string(kMaxLoginBodyBytes) + " bytes");
  }
  const auto now = now_();
  while (!login_failures_.empty() && now - login_failures_.front() >= kLoginFailureWindow) {
    login_failures_.pop_front();
  }
  if (login_failures_.size() >= kMaxLoginFailures) {
    const auto wait = std::chrono::duration_cast<std::chrono::seconds>(login_failures_.front() +
                                                                       kLoginFailureWindow - now)
                          .count() +
                      1;
    auto response = shared::HttpResponse::error(
        429, "too many failed logins: try again in " + std::to_string(wait) + " s");
    response.set_header("Retry-After", std::to_string(wait));
    return response;  // not logged: the failures that led here were
  }
  const auto token = login_token(request.header("content-type").value_or(""), request.body);
  if (!token) {
    return shared::HttpResponse::error(
        400, "login needs the admin token: a JSON body {\"token\": \"...\"} or a form field token");
  }
  if (!shared::secrets_equal(trim(*token), admin_token_)) {
    login_failures_.push_back(now);
    log_rejection(request, "wrong_login_token");
    return unauthorized("invalid admin token");
  }

  const auto session_id = start_session();
  const auto lifetime_s =
      std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count();
  shared::log_info("admin.login",
                   {shared::field("remote", request.remote_address),
                    shared::field("sessions", static_cast<long long>(sessions_.size()))});
  auto response = shared::HttpResponse::json(
      200, nlohmann::json{{"status", "logged_in"}, {"expires_in_s", lifetime_s}});
  response.set_header("Set-Cookie", session_cookie(session_id, lifetime_s));
  response.set_header("Cache-Control", "no-store");
  return response;
}

shared::HttpResponse AdminAuth::logout(const shared::HttpRequest& request) {
  if (const auto cookies = request.header("cookie")) {
    if (const auto session_id = cookie_value(*cookies, kSessionCookie)) {
      sessions_.erase(shared::sha256_hex(*session_id));
    }
  }
  auto response = shared::HttpResponse::json(200, nlohmann::json{{"status", "logged_out"}});
  response.set_header("Set-Cookie", session_cookie("", 0));
  return response;
}

bool AdminAuth::has_session(const std::string& session_id) {
  drop_expired();
  return sessions_.contains(shared::sha256_hex(session_id));
}

std::string AdminAuth::start_session() {
  drop_expired();
  if (sessions_.size() >= kMaxSessions) {
    auto soonest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second < soonest->second) {
        soonest = it;
      }
    }
    sessions_.erase(soonest);
  }
  auto session_id = shared::random_hex(kSessionIdBytes);
  sessions_[shared::sha256_hex(session_id)] = now_() + kSessionLifetime;
  return session_id;
}

void AdminAuth::drop_expired() {
  const auto now = now_();
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second <= now; });
}

void add_admin_auth_routes(shared::Router& router, AdminAuth& auth) {
  router.add("POST", "/api/login",
             [&auth](const shared::HttpRequest& request) { return auth.login(request); });
  router.add("POST", "/api/logout",
             [&auth](const shared::HttpRequest& request) { return auth.logout(request); });
}

}  // namespace winebot::hub

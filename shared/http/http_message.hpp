#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace winebot::shared {

class EventStream;

// A parsed HTTP request as route handlers see it, free of any Beast type so that handlers compile
// without Boost. Header names are stored in lowercase.
struct HttpRequest {
  std::string method;
  std::string target;  // As received, with the query string.
  std::string path;    // Percent-decoded, without the query string.
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;
  std::map<std::string, std::string> path_params;  // Filled by the router from `{name}` segments.

  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> query_value(const std::string& name) const;
  const std::string& path_param(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, `body` is ignored: the server sends the headers at once and then writes what the
  // stream produces until it ends, outside the request deadline. The connection closes after it.
  std::shared_ptr<EventStream> event_stream;

  // A JSON body; invalid UTF-8 inside strings is replaced, never thrown.
  static HttpResponse json(int status, const nlohmann::json& body);
  // A 200 `text/event-stream` response driven by `stream`, with `Cache-Control: no-cache` and
  // `X-Accel-Buffering: no` so that caches and nginx pass each event on at once.
  static HttpResponse server_sent_events(std::shared_ptr<EventStream> stream);
  // The error shape every endpoint uses: {"detail": "..."}.
  static HttpResponse error(int status, std::string_view detail);

  void set_header(std::string name, std::string value);
};

// Percent-decodes `text`; `+` becomes a space only when `plus_is_space`. Returns nullopt on a
// malformed escape such as "%G1" or a trailing "%".
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Splits `target` into a decoded path and query map. Returns false when either part has a
// malformed escape. A repeated query key keeps its last value.
bool split_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string>& query);

}  // namespace winebot::shared

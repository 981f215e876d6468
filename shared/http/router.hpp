#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shared/http/http_message.hpp"

namespace winebot::shared {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Runs before routing; a returned response (for example a 401) is sent instead of the route's.
using RequestFilter = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
// Runs on every response, errors included, for headers that every response carries.
using ResponseDecorator = std::function<void(const HttpRequest&, HttpResponse&)>;

// Route table mapping a method and a path pattern to a handler. Patterns are literal segments and
// `{name}` segments that match one non-empty segment and land in `HttpRequest::path_params`.
// An unknown path gets 404 and a known path with another method 405, both as JSON `detail`.
// Handlers run on the server's executor; a handler that throws gets a 500 and a log line.
class Router {
 public:
  void add(std::string method, std::string pattern, HttpHandler handler);
  // Handles GET requests that no route matched, such as static files.
  void set_fallback(HttpHandler handler);
  void set_request_filter(RequestFilter filter);
  void set_response_decorator(ResponseDecorator decorator);

  // True when some route's pattern matches `path`, whatever its method.
  bool has_route(const std::string& path) const;

  // Routes `request` (whose `path_params` it fills) and returns the response to send.
  HttpResponse dispatch(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
  };

  HttpResponse route(HttpRequest& request) const;

  std::vector<Route> routes_;
  HttpHandler fallback_;
  RequestFilter request_filter_;
  ResponseDecorator response_decorator_;
};

// Splits "/a/b/" into {"a", "b"}; empty segments are dropped.
std::vector<std::string> split_path(const std::string& path);

}  // namespace winebot::shared

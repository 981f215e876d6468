#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "shared/http/http_message.hpp"

namespace winebot::shared {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// A handler that waits on I/O, such as a request to another server, without blocking the
// server's thread. The request outlives the coroutine.
using AsyncHttpHandler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&)>;
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
  // Adds a route whose handler is a coroutine. Only dispatch_async runs it.
  void add_async(std::string method, std::string pattern, AsyncHttpHandler handler);
  // Handles GET requests that no route matched, such as static files.
  void set_fallback(HttpHandler handler);
  void set_request_filter(RequestFilter filter);
  void set_response_decorator(ResponseDecorator decorator);

  // True when some route's pattern matches `path`, whatever its method.
  bool has_route(const std::string& path) const;

  // Routes `request` (whose `path_params` it fills) and returns the response to send.
  HttpResponse dispatch(HttpRequest& request) const;
  // Like dispatch, and also runs the coroutine handlers of add_async. The server calls this one.
  boost::asio::awaitable<HttpResponse> dispatch_async(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
    AsyncHttpHandler async_handler;  // Set instead of `handler` for add_async routes.
  };

  // Finds the route for the request's method and path and fills its `path_params`. Returns
  // nullptr when there is none, with `allowed` listing the methods that the path has.
  const Route* find(HttpRequest& request, std::string& allowed) const;
  HttpResponse route(HttpRequest& request) const;

  std::vector<Route> routes_;
  HttpHandler fallback_;
  RequestFilter request_filter_;
  ResponseDecorator response_decorator_;
};

// Splits "/a/b/" into {"a", "b"}; empty segments are dropped.
std::vector<std::string> split_path(const std::string& path);

}  // namespace winebot::shared

#include "shared/http/router.hpp"

#include <exception>

#include <boost/asio/awaitable.hpp>

#include "shared/log/logger.hpp"

namespace winebot::shared {
namespace {

bool is_parameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != segments.size()) {
    return false;
  }
  std::map<std::string, std::string> captured;
  for (std::size_t index = 0; index < pattern.size(); ++index) {
    if (is_parameter(pattern[index])) {
      captured[pattern[index].substr(1, pattern[index].size() - 2)] = segments[index];
    } else if (pattern[index] != segments[index]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

}  // namespace

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start) {
      segments.push_back(path.substr(start, end - start));
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return segments;
}

void Router::add(std::string method, std::string pattern, HttpHandler handler) {
  routes_.push_back({std::move(method), split_path(pattern), std::move(handler), {}});
}

void Router::set_fallback(HttpHandler handler) {
  fallback_ = std::move(handler);
}

void Router::set_request_filter(RequestFilter filter) {
  request_filter_ = std::move(filter);
}

void Router::set_response_decorator(ResponseDecorator decorator) {
  response_decorator_ = std::move(decorator);
}

bool Router::has_route(const std::string& path) const {
  const auto segments = split_path(path);
  std::map<std::string, std::string> params;
  for (const auto& route : routes_) {
    if (match(route.segments, segments, params)) {
      return true;
    }
  }
  return false;
}

void Router::add_async(std::string method, std::string pattern, AsyncHttpHandler handler) {
  routes_.push_back({std::move(method), split_path(pattern), {}, std::move(handler)});
}

const Router::Route* Router::find(HttpRequest& request, std::string& allowed) const {
  const auto segments = split_path(request.path);
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!match(route.segments, segments, params)) {
      continue;
    }
    if (route.method == request.method) {
      request.path_params = std::move(params);
      return &route;
    }
    allowed += allowed.empty() ? route.method : ", " + route.method;
  }
  return nullptr;
}

HttpResponse Router::route(HttpRequest& request) const {
  std::string allowed;
  const Route* found = find(request, allowed);
  if (found != nullptr && found->handler) {
    return found->handler(request);
  }
  if (found != nullptr) {
    // A broken invariant, not bad input: this synchronous path cannot run a coroutine handler.
    log_error("http.async_route_in_sync_dispatch", {field("path", request.path)});
    return HttpResponse::error(500, "Internal Server Error");
  }

  if (!allowed.empty()) {
    auto response = HttpResponse::error(405, "Method Not Allowed");
    response.set_header("Allow", allowed);
    return response;
  }
  if (fallback_ && request.method == "GET") {
    return fallback_(request);
  }
  return HttpResponse::error(404, "Not Found");
}

HttpResponse Router::dispatch(HttpRequest& request) const {
  HttpResponse response;
  try {
    std::optional<HttpResponse> rejected;
    if (request_filter_) {
      rejected = request_filter_(request);
    }
    response = rejected ? std::move(*rejected) : route(request);
  } catch (const std::exception& error) {
    log_error("http.handler_failed", {field("method", request.method), field("path", request.path),
                                      field("error", error.what())});
    response = HttpResponse::error(500, "Internal Server Error");
  } catch (...) {
    log_error("http.handler_failed", {field("method", request.method), field("path", request.path),
                                      field("error", "non-standard exception")});
    response = HttpResponse::error(500, "Internal Server Error");
  }
  if (response_decorator_) {
    response_decorator_(request, response);
  }
  return response;
}

boost::asio::awaitable<HttpResponse> Router::dispatch_async(HttpRequest& request) const {
  std::string allowed;
  const Route* found = find(request, allowed);
  std::optional<HttpResponse> response;
  if (found == nullptr || !found->async_handler) {
    response = dispatch(request);
    co_return std::move(*response);
  }

  try {
    if (request_filter_) {
      response = request_filter_(request);
    }
    if (!response) {
      response = co_await found->async_handler(request);
    }
  } catch (const std::exception& error) {
    log_error("http.handler_failed", {field("method", request.method), field("path", request.path),
                                      field("error", error.what())});
    response.reset();
  } catch (...) {
    log_error("http.handler_failed", {field("method", request.method), field("path", request.path),
                                      field("error", "non-standard exception")});
    response.reset();
  }
  if (!response) {
    response = HttpResponse::error(500, "Internal Server Error");
  }
  if (response_decorator_) {
    response_decorator_(request, *response);
  }
  co_return std::move(*response);
}

}  // namespace winebot::shared

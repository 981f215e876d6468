#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace winebot::shared {

struct HttpClientResult {
  bool ok = false;  // A complete response arrived, whatever its status.
  int status = 0;
  std::string body;
  std::string error;       // Reason no response arrived, e.g. "connection refused", "timed out".
  bool timed_out = false;  // No response arrived because the deadline passed.
  bool body_too_large = false;  // The response body exceeded HttpClientLimits::max_body_bytes.
  double elapsed_ms = 0;
};

struct HttpClientLimits {
  std::chrono::milliseconds timeout{1500};  // Whole exchange: connect, send, receive.
  std::size_t max_body_bytes = 4 * 1024 * 1024;
};

// One keep-alive HTTP/1.1 connection to one host and port, used by one coroutine at a time.
// It reconnects when the server closed the connection, and retries a GET or HEAD once when a
// reused connection turns out to be stale. Threading: belongs to its executor.
class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, HttpClientLimits limits = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `method target` to `address` (an IP literal, IPv6 with an optional "%scope") and
  // `port`. Connects anew when the address differs from the connected one. Never throws for
  // network errors: they are returned in the result. `headers` are added to the request, for
  // example {"X-API-Key", TOKEN}.
  boost::asio::awaitable<HttpClientResult> request(
      std::string address, std::uint16_t port, std::string method, std::string target,
      std::string body = {}, std::vector<std::pair<std::string, std::string>> headers = {});
  void close();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winebot::shared

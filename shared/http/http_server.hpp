#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "shared/config/host_port.hpp"

namespace boost::asio {
class io_context;
}

namespace winebot::shared {

class Router;

// Time between two heartbeat comments on an event stream. Browsers ignore comments, but proxies
// and load balancers that close idle connections see traffic.
inline constexpr std::chrono::milliseconds kDefaultHeartbeatInterval{15'000};

// Bounds that keep one slow or hostile client from holding the server's memory or connections.
struct HttpServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  // From the first byte of a request to its last, and for writing the response.
  std::chrono::milliseconds request_timeout{10'000};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{75'000};
  std::size_t max_connections = 4096;
  // Event streams (HttpResponse::event_stream) have no request or idle deadline. Each of their
  // writes must finish within stream_write_timeout, or the stream is closed as stalled.
  std::chrono::milliseconds heartbeat_interval = kDefaultHeartbeatInterval;
  std::chrono::milliseconds stream_write_timeout{30'000};
};

// HTTP/1.1 server on Beast coroutines. Each connection is one coroutine on the given
// `io_context`, which must run on one thread: the server and its router are not thread-safe.
// Malformed requests get a 400 and oversized ones a 413 or 431, all with a JSON `detail`, and the
// connection is closed. Nothing a client sends ends the process. A response with an
// `event_stream` keeps its connection until the client leaves, the stream finishes or `stop` runs.
// Its body is chunked on HTTP/1.1 and ends with the connection on HTTP/1.0.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const Router& router, HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts accepting. Returns the bound port, which differs from the
  // requested one when that is 0. Throws std::system_error naming the address on failure.
  std::uint16_t listen(const HostPort& address);
  // Closes the listening socket and every open connection, event streams included.
  void stop();
  // Connections open now.
  std::size_t connection_count() const;
  // Connections accepted since construction, closed ones included, those rejected over
  // max_connections excluded.
  std::uint64_t accepted_count() const;
  // Event streams open now.
  std::size_t event_stream_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winebot::shared

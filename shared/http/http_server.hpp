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

// Bounds that keep one slow or hostile client from holding the server's memory or connections.
struct HttpServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  // From the first byte of a request to its last, and for writing the response.
  std::chrono::milliseconds request_timeout{10'000};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{75'000};
  std::size_t max_connections = 4096;
};

// HTTP/1.1 server on Beast coroutines. Each connection is one coroutine on the given
// `io_context`, which must run on one thread: the server and its router are not thread-safe.
// Malformed requests get a 400 and oversized ones a 413 or 431, all with a JSON `detail`, and the
// connection is closed. Nothing a client sends ends the process.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const Router& router, HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts accepting. Returns the bound port, which differs from the
  // requested one when that is 0. Throws std::system_error naming the address on failure.
  std::uint16_t listen(const HostPort& address);
  // Closes the listening socket and every open connection.
  void stop();
  // Connections open now.
  std::size_t connection_count() const;
  // Connections accepted since construction, closed ones included, those rejected over
  // max_connections excluded.
  std::uint64_t accepted_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winebot::shared

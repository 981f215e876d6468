#include "shared/http/http_server.hpp"

#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "shared/http/router.hpp"
#include "shared/log/logger.hpp"

namespace winebot::shared {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kFirstReadBytes = 4096;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

HttpRequest to_request(const BeastRequest& source, const std::string& remote_address) {
  HttpRequest request;
  request.method = std::string(source.method_string());
  request.target = std::string(source.target());
  request.remote_address = remote_address;
  request.body = source.body();
  for (const auto& header : source) {
    std::string name(header.name_string());
    for (auto& character : name) {
      character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
    }
    request.headers.emplace_back(std::move(name), std::string(header.value()));
  }
  return request;
}

BeastResponse to_beast(const HttpResponse& source, unsigned version, bool keep_alive) {
  BeastResponse response{static_cast<http::status>(source.status), version};
  response.set(http::field::content_type, source.content_type);
  for (const auto& [name, value] : source.headers) {
    response.set(name, value);
  }
  response.body() = source.body;
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

// Maps a failed request read to the response the client gets, or nullopt when the connection is
// gone and nothing can be sent.
std::optional<HttpResponse> read_error_response(const error_code& error,
                                                const HttpServerLimits& limits) {
  if (error == http::error::body_limit) {
    return HttpResponse::error(
        413, "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (error == http::error::header_limit) {
    return HttpResponse::error(
        431, "request headers exceed " + std::to_string(limits.max_header_bytes) + " bytes");
  }
  // NOTE: this 408 never reaches the client, because beast::tcp_stream closes the socket when its
  // deadline passes and the write then fails. Sending it needs a deadline that cancels the read
  // without closing, such as a separate steady_timer.
  if (error == beast::error::timeout) {
    return HttpResponse::error(408, "request not received within the read deadline");
  }
  if (error.category() == http::make_error_code(http::error::bad_target).category() &&
      error != http::error::end_of_stream && error != http::error::partial_message) {
    return HttpResponse::error(400, "malformed HTTP request: " + error.message());
  }
  return std::nullopt;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(asio::io_context& io, const Router& router, HttpServerLimits limits)
      : io_(io), router_(router), limits_(limits), acceptor_(io) {}

  std::uint16_t listen(const HostPort& address) {
    error_code error;
    const auto host = address.host == "localhost" ? std::string("127.0.0.1") : address.host;
    const auto ip = asio::ip::make_address(host, error);
    if (error) {
      throw std::system_error(
          error, "invalid listen address '" + address.host + "': expected an IPv4 or IPv6 literal");
    }
    const tcp::endpoint endpoint(ip, address.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    if (ip.is_v6()) {
      acceptor_.set_option(asio::ip::v6_only(false), error);  // Best effort: dual stack.
    }
    acceptor_.bind(endpoint, error);
    if (error) {
      throw std::system_error(error, "failed to listen on " + address.to_string());
    }
    acceptor_.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(io_, accept_loop(), [](std::exception_ptr failure) {
      log_exception("http.accept_loop_failed", failure);
    });
    return acceptor_.local_endpoint().port();
  }

  void stop() {
    stopped_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    for (auto& [id, weak_stream] : connections_) {
      if (auto stream = weak_stream.lock()) {
        stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream->socket().cancel(ignored);
      }
    }
  }

  std::size_t connection_count() const { return connections_.size(); }
  std::uint64_t accepted_count() const { return next_connection_id_ - 1; }

 private:
  static void log_exception(const char* event, const std::exception_ptr& failure) {
    if (!failure) {
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      log_error(event, {field("error", error.what())});
    } catch (...) {
      log_error(event, {field("error", "non-standard exception")});
    }
  }

  asio::awaitable<void> accept_loop() {
    while (!stopped_) {
      auto [error, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (error) {
        if (stopped_ || error == asio::error::operation_aborted) {
          co_return;
        }
        log_warn("http.accept_failed", {field("error", error.message())});
        asio::steady_timer pause(io_, kAcceptRetryDelay);  // Out of descriptors: let some close.
        co_await pause.async_wait(kUseTuple);
        continue;
      }
      if (connections_.size() >= limits_.max_connections) {
        ++rejected_connections_;
        log_warn("http.connection_rejected",
                 {field("reason", "max_connections"),
                  field("limit", static_cast<long long>(limits_.max_connections))});
        continue;  // The socket closes when it leaves scope.
      }
      start_connection(std::move(socket));
    }
  }

  void start_connection(tcp::socket socket) {
    error_code error;
    const auto remote = socket.remote_endpoint(error);
    const std::string remote_address =
        error ? std::string("unknown") : remote.address().to_string();
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    const auto id = next_connection_id_++;
    connections_[id] = stream;
    asio::co_spawn(io_, serve(stream, remote_address, id), [](std::exception_ptr failure) {
      log_exception("http.connection_failed", failure);
    });
  }

  // Waits for the first byte of the next request under the idle deadline, so that a keep-alive
  // connection may rest long while a started request must finish within the request deadline.
  asio::awaitable<bool> wait_for_request(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
    if (buffer.size() > 0) {
      co_return true;
    }
    stream.expires_after(limits_.idle_timeout);
    auto [error, count] =
        co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), kUseTuple);
    buffer.commit(count);
    co_return !error;
  }

  asio::awaitable<void> send(beast::tcp_stream& stream, const HttpResponse& response,
                             unsigned version, bool keep_alive, error_code& error) {
    auto message = to_beast(response, version, keep_alive);
    stream.expires_after(limits_.request_timeout);
    auto [write_error, count] = co_await http::async_write(stream, message, kUseTuple);
    error = write_error;
  }

  asio::awaitable<void> serve(std::shared_ptr<beast::tcp_stream> stream, std::string remote_address,
                              std::uint64_t id) {
    beast::flat_buffer buffer(limits_.max_header_bytes + limits_.max_body_bytes + kFirstReadBytes);

    while (!stopped_ && co_await wait_for_request(*stream, buffer)) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
      parser.body_limit(limits_.max_body_bytes);
      stream->expires_after(limits_.request_timeout);

      auto [error, count] = co_await http::async_read_header(*stream, buffer, parser, kUseTuple);
      if (!error && parser.get()[http::field::expect] == "100-continue") {
        BeastResponse proceed{http::status::continue_, parser.get().version()};
        std::tie(error, count) = co_await http::async_write(*stream, proceed, kUseTuple);
      }
      if (!error && !parser.is_done()) {
        std::tie(error, count) = co_await http::async_read(*stream, buffer, parser, kUseTuple);
      }
      if (error) {
        if (auto answer = read_error_response(error, limits_)) {
          error_code ignored;
          co_await send(*stream, *answer, 11, false, ignored);
          log_debug("http.bad_request",
                    {field("connection", static_cast<long long>(id)),
                     field("status", answer->status), field("error", error.message())});
        }
        break;
      }

      const auto& message = parser.get();
      HttpRequest request = to_request(message, remote_address);
      HttpResponse response =
          split_target(request.target, request.path, request.query)
              ? router_.dispatch(request)
              : HttpResponse::error(400, "malformed percent-encoding in request target");
      const bool keep_alive = message.keep_alive() && !stopped_;
      error_code write_error;
      co_await send(*stream, response, message.version(), keep_alive, write_error);
      if (write_error || !keep_alive) {
        break;
      }
    }

    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
    connections_.erase(id);
  }

  asio::io_context& io_;
  const Router& router_;
  HttpServerLimits limits_;
  tcp::acceptor acceptor_;
  std::map<std::uint64_t, std::weak_ptr<beast::tcp_stream>> connections_;
  std::uint64_t next_connection_id_ = 1;
  std::uint64_t rejected_connections_ = 0;
  bool stopped_ = false;
};

HttpServer::HttpServer(asio::io_context& io, const Router& router, HttpServerLimits limits)
    : impl_(std::make_unique<Impl>(io, router, limits)) {}

HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::listen(const HostPort& address) {
  return impl_->listen(address);
}

void HttpServer::stop() {
  impl_->stop();
}

std::size_t HttpServer::connection_count() const {
  return impl_->connection_count();
}

std::uint64_t HttpServer::accepted_count() const {
  return impl_->accepted_count();
}

}  // namespace winebot::shared

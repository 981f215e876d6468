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

#include "shared/http/event_stream.hpp"
#include "shared/http/router.hpp"
#include "shared/http/server_sent_event.hpp"
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
// Read buffer of an event-stream connection, whose bytes are discarded while it waits for the
// client to leave.
constexpr std::size_t kStreamDiscardBytes = 512;

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

http::response<http::empty_body> to_stream_header(const HttpResponse& source, unsigned version) {
  http::response<http::empty_body> header{static_cast<http::status>(source.status), version};
  header.set(http::field::content_type, source.content_type);
  for (const auto& [name, value] : source.headers) {
    header.set(name, value);
  }
  header.keep_alive(false);
  if (version >= 11) {
    header.chunked(true);  // HTTP/1.0 has no chunks: there the body ends with the connection.
  }
  return header;
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
    for (auto& [id, state] : event_streams_) {
      state->close();
    }
  }

  std::size_t connection_count() const { return connections_.size(); }
  std::uint64_t accepted_count() const { return next_connection_id_ - 1; }
  std::size_t event_stream_count() const { return event_streams_.size(); }

 private:
  // One open event stream. The timer paces heartbeats, and cancelling it wakes the writer early.
  struct EventStreamState {
    explicit EventStreamState(asio::io_context& io) : timer(io) {}

    void close() {
      closed = true;
      timer.cancel();
    }

    asio::steady_timer timer;
    bool closed = false;  // The client left or the server is stopping.
  };

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

  // Writes `response`; with `head_only`, the header keeps the Content-Length of the body that a
  // GET would carry, and the body is left out.
  asio::awaitable<void> send(beast::tcp_stream& stream, const HttpResponse& response,
                             unsigned version, bool keep_alive, error_code& error,
                             bool head_only = false) {
    auto message = to_beast(response, version, keep_alive);
    if (head_only) {
      const auto length = message.body().size();
      message.body().clear();
      message.content_length(length);
    }
    stream.expires_after(limits_.request_timeout);
    auto [write_error, count] = co_await http::async_write(stream, message, kUseTuple);
    error = write_error;
  }

  // Reads until the client closes or the socket fails, then closes the stream. Event-stream
  // clients send nothing, so whatever arrives is discarded. Reads on the raw socket, because the
  // tcp_stream's deadline would end a quiet stream.
  static asio::awaitable<void> watch_for_close(std::shared_ptr<beast::tcp_stream> stream,
                                               std::shared_ptr<EventStreamState> state) {
    char discard[kStreamDiscardBytes];
    error_code error;
    while (!error) {
      std::tie(error, std::ignore) =
          co_await stream->socket().async_read_some(asio::buffer(discard), kUseTuple);
    }
    state->close();
  }

  // Writes `text` as one chunk, or as raw bytes on HTTP/1.0, within stream_write_timeout.
  asio::awaitable<error_code> write_stream_text(beast::tcp_stream& stream, const std::string& text,
                                                bool chunked) {
    stream.expires_after(limits_.stream_write_timeout);
    error_code error;
    if (chunked) {
      std::tie(error, std::ignore) =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(text)), kUseTuple);
    } else {
      std::tie(error, std::ignore) =
          co_await asio::async_write(stream, asio::buffer(text), kUseTuple);
    }
    stream.expires_never();
    co_return error;
  }

  // Writes what `source` produces, and a heartbeat comment every heartbeat_interval, until the
  // client leaves, a write fails, the source finishes or the server stops. Returns the reason.
  asio::awaitable<const char*> pump_events(beast::tcp_stream& stream, EventStream& source,
                                           EventStreamState& state, bool chunked) {
    static const std::string kHeartbeat = format_comment("heartbeat");
    auto next_heartbeat = std::chrono::steady_clock::now() + limits_.heartbeat_interval;
    for (;;) {
      if (state.closed || stopped_) {
        co_return stopped_ ? "server_stopping" : "client_closed";
      }
      std::string text = source.take_pending();
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_heartbeat) {
        text += kHeartbeat;
        next_heartbeat = now + limits_.heartbeat_interval;
      }
      if (!text.empty()) {
        if (const auto error = co_await write_stream_text(stream, text, chunked)) {
          co_return error == beast::error::timeout ? "write_timeout" : "write_failed";
        }
        continue;
      }
      if (source.finished()) {
        if (chunked) {
          stream.expires_after(limits_.stream_write_timeout);
          co_await asio::async_write(stream, http::make_chunk_last(), kUseTuple);
          stream.expires_never();
        }
        co_return "finished";
      }
      state.timer.expires_at(next_heartbeat);
      co_await state.timer.async_wait(kUseTuple);
    }
  }

  // Sends the headers of an event-stream response at once, then hands the connection to
  // pump_events. The connection closes afterwards.
  asio::awaitable<void> serve_event_stream(std::shared_ptr<beast::tcp_stream> stream,
                                           const HttpResponse& response, unsigned version,
                                           std::uint64_t id) {
    const auto source = response.event_stream;
    auto state = std::make_shared<EventStreamState>(io_);
    event_streams_[id] = state;
    source->set_waker([weak = std::weak_ptr(state)] {
      if (auto alive = weak.lock()) {
        alive->timer.cancel();
      }
    });

    auto header = to_stream_header(response, version);
    http::response_serializer<http::empty_body> serializer(header);
    stream->expires_after(limits_.stream_write_timeout);
    auto [error, count] = co_await http::async_write_header(*stream, serializer, kUseTuple);
    stream->expires_never();
    const char* reason = "write_failed";
    if (!error) {
      log_debug("http.stream_opened", {field("connection", static_cast<long long>(id))});
      asio::co_spawn(io_, watch_for_close(stream, state), [](std::exception_ptr failure) {
        log_exception("http.stream_watch_failed", failure);
      });
      reason = co_await pump_events(*stream, *source, *state, header.chunked());
    }

    error_code ignored;
    stream->socket().cancel(ignored);  // Ends watch_for_close.
    event_streams_.erase(id);
    source->set_waker({});
    source->on_closed();
    log_debug("http.stream_closed",
              {field("connection", static_cast<long long>(id)), field("reason", reason)});
  }

  // Routes one request. A coroutine of its own, because with GCC 12 a response assigned from
  // co_await inside serve's loop came out corrupt and crashed the server.
  asio::awaitable<HttpResponse> respond(HttpRequest& request) {
    if (!split_target(request.target, request.path, request.query)) {
      co_return HttpResponse::error(400, "malformed percent-encoding in request target");
    }
    co_return co_await router_.dispatch_async(request);
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
      // HEAD is GET without the body (RFC 9110, section 9.3.2), so it routes as GET.
      const bool head = request.method == "HEAD";
      if (head) {
        request.method = "GET";
      }
      HttpResponse response = co_await respond(request);
      if (head && response.event_stream) {
        response.event_stream->on_closed();
        response.event_stream.reset();
      }
      if (response.event_stream) {
        co_await serve_event_stream(stream, response, message.version(), id);
        break;
      }
      const bool keep_alive = message.keep_alive() && !stopped_;
      error_code write_error;
      co_await send(*stream, response, message.version(), keep_alive, write_error, head);
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
  std::map<std::uint64_t, std::shared_ptr<EventStreamState>> event_streams_;  // By connection.
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

std::size_t HttpServer::event_stream_count() const {
  return impl_->event_stream_count();
}

}  // namespace winebot::shared

#include "shared/http/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "winebot/version.hpp"

namespace winebot::shared {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
using Headers = std::vector<std::pair<std::string, std::string>>;

// The Host header for an IP literal: IPv6 in brackets, without its "%scope" (RFC 7230 section
// 5.4 and RFC 6874), and always with the port.
std::string host_header(const std::string& address, std::uint16_t port) {
  if (address.find(':') == std::string::npos) {
    return address + ":" + std::to_string(port);
  }
  return "[" + address.substr(0, address.find('%')) + "]:" + std::to_string(port);
}

std::string describe(const error_code& error) {
  if (error == beast::error::timeout) {
    return "timed out";
  }
  return error.message();
}

}  // namespace

class HttpConnection::Impl {
 public:
  Impl(asio::any_io_executor executor, HttpClientLimits limits)
      : stream_(executor), limits_(limits) {}

  asio::awaitable<HttpClientResult> request(std::string address, std::uint16_t port,
                                            std::string method, std::string target,
                                            std::string body, const Headers& headers) {
    const auto started = std::chrono::steady_clock::now();
    // One deadline for every step, the retry included, so that limits_.timeout bounds the call.
    deadline_ = started + limits_.timeout;
    HttpClientResult result;

    const bool reused = connected_ && address == address_ && port == port_;
    if (!reused) {
      close();
      const auto error = co_await connect(address, port);
      if (error) {
        result.error = describe(error);
        result.timed_out = error == beast::error::timeout;
        result.elapsed_ms = elapsed_since(started);
        co_return result;
      }
    }

    auto error = co_await exchange(method, target, body, headers, result);
    const bool idempotent = method == "GET" || method == "HEAD";
    if (error && reused && idempotent && error != beast::error::timeout) {
      // The server may have closed an idle keep-alive connection, so try once on a fresh one.
      // Only safe methods are retried: a POST may have taken effect before the response was lost.
      close();
      error = co_await connect(address, port);
      if (!error) {
        error = co_await exchange(method, target, body, headers, result);
      }
    }
    if (error) {
      close();
      result.ok = false;
      result.error = describe(error);
      result.timed_out = error == beast::error::timeout;
      result.body_too_large = error == http::error::body_limit;
    }
    result.elapsed_ms = elapsed_since(started);
    co_return result;
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    connected_ = false;
    buffer_.clear();
  }

 private:
  static double elapsed_since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
        .count();
  }

  asio::awaitable<error_code> connect(const std::string& address, std::uint16_t port) {
    error_code error;
    const auto ip = asio::ip::make_address(address, error);
    if (error) {
      co_return error;
    }
    stream_.expires_at(deadline_);
    auto [connect_error] = co_await stream_.async_connect(tcp::endpoint(ip, port), kUseTuple);
    if (!connect_error) {
      connected_ = true;
      address_ = address;
      port_ = port;
    }
    co_return connect_error;
  }

  asio::awaitable<error_code> exchange(const std::string& method, const std::string& target,
                                       const std::string& body, const Headers& headers,
                                       HttpClientResult& result) {
    http::request<http::string_body> message{http::string_to_verb(method), target, 11};
    message.set(http::field::host, host_header(address_, port_));
    message.set(http::field::user_agent, std::string("winebot-hub/") + kVersion);
    message.keep_alive(true);
    for (const auto& [name, value] : headers) {
      message.set(name, value);
    }
    if (!body.empty()) {
      message.set(http::field::content_type, "application/json");
      message.body() = body;
    }
    message.prepare_payload();

    stream_.expires_at(deadline_);
    auto [write_error, written] = co_await http::async_write(stream_, message, kUseTuple);
    if (write_error) {
      co_return write_error;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(limits_.max_body_bytes);
    auto [read_error, read] = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
    if (read_error) {
      co_return read_error;
    }
    const auto& response = parser.get();
    result.ok = true;
    result.status = static_cast<int>(response.result_int());
    result.body = response.body();
    if (!response.keep_alive()) {
      close();
    }
    co_return error_code{};
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpClientLimits limits_;
  std::chrono::steady_clock::time_point deadline_;
  bool connected_ = false;
  std::string address_;
  std::uint16_t port_ = 0;
};

HttpConnection::HttpConnection(asio::any_io_executor executor, HttpClientLimits limits)
    : impl_(std::make_unique<Impl>(std::move(executor), limits)) {}

HttpConnection::~HttpConnection() = default;

asio::awaitable<HttpClientResult> HttpConnection::request(std::string address, std::uint16_t port,
                                                          std::string method, std::string target,
                                                          std::string body, Headers headers) {
  co_return co_await impl_->request(std::move(address), port, std::move(method), std::move(target),
                                    std::move(body), headers);
}

void HttpConnection::close() {
  impl_->close();
}

}  // namespace winebot::shared

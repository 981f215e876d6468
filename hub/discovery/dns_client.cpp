#include "hub/discovery/dns_client.hpp"

#include <array>
#include <fstream>
#include <sstream>
#include <tuple>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace winebot::hub::dns {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace asio::experimental::awaitable_operators;
using boost::system::error_code;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kTimedOut = "timed out";

std::string describe_rcode(int rcode) {
  switch (rcode) {
    case 1:
      return "FORMERR";
    case kRcodeServerFailure:
      return "SERVFAIL";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    default:
      return "rcode " + std::to_string(rcode);
  }
}

// Fills `result` from a response that `is_answer_to` accepted.
void accept_response(Message message, DnsQueryResult& result) {
  if (message.rcode == kRcodeNoError || message.rcode == kRcodeNameError) {
    result.ok = true;
  } else {
    result.error = "server returned " + describe_rcode(message.rcode);
  }
  result.message = std::move(message);
}

std::string server_text(const asio::ip::udp::endpoint& server) {
  std::ostringstream text;
  text << server;
  return text.str();
}

}  // namespace

bool is_answer_to(const Message& message, std::uint16_t id, const std::string& name,
                  RecordType type) {
  if (!message.response || message.id != id || message.questions.size() != 1) {
    return false;
  }
  const auto& question = message.questions.front();
  return question.name == normalize_name(name) &&
         question.type == static_cast<std::uint16_t>(type) &&
         question.record_class == kClassInternet;
}

DnsClient::DnsClient(asio::any_io_executor executor, DnsClientSettings settings)
    : executor_(std::move(executor)),
      settings_(settings),
      random_(std::random_device{}()),
      receive_buffer_(kMaxMessageBytes) {}

asio::awaitable<DnsQueryResult> DnsClient::query(std::string name, RecordType type) {
  // A random id, and the random source port the kernel gives each new socket, make a spoofed
  // answer hard to guess (RFC 5452).
  const auto id = static_cast<std::uint16_t>(random_());
  const auto request = encode_query(id, name, type, settings_.udp_payload_bytes);
  if (request.bytes.empty()) {
    DnsQueryResult result;
    result.error = "invalid name '" + name + "': " + request.error;
    co_return result;
  }

  DnsQueryResult result;
  for (int attempt = 0; attempt < settings_.udp_attempts; ++attempt) {
    result = co_await query_udp(request.bytes, id, name, type);
    if (result.error != kTimedOut) {
      break;
    }
  }
  if (result.message.truncated) {
    const auto ignored = result.ignored_datagrams;
    result = co_await query_tcp(request.bytes, id, name, type);
    result.ignored_datagrams += ignored;
  }
  if (!result.ok) {
    result.error += " (DNS server " + server_text(settings_.server) + ")";
  }
  co_return result;
}

asio::awaitable<DnsQueryResult> DnsClient::query_udp(const std::vector<std::uint8_t>& request,
                                                     std::uint16_t id, const std::string& name,
                                                     RecordType type) {
  DnsQueryResult result;
  asio::ip::udp::socket socket(executor_);
  error_code error;
  socket.open(settings_.server.protocol(), error);
  if (!error) {
    // A connected UDP socket only receives datagrams from the server's address and port.
    socket.connect(settings_.server, error);
  }
  if (!error) {
    socket.send(asio::buffer(request), 0, error);
  }
  if (error) {
    result.error = "UDP send failed: " + error.message();
    co_return result;
  }

  asio::steady_timer timer(executor_, settings_.attempt_timeout);
  while (true) {
    auto outcome = co_await (socket.async_receive(asio::buffer(receive_buffer_), kUseTuple) ||
                             timer.async_wait(kUseTuple));
    if (outcome.index() == 1) {
      result.error = kTimedOut;
      co_return result;
    }
    const auto [receive_error, size] = std::get<0>(outcome);
    if (receive_error) {
      // ICMP port unreachable shows up here as "connection refused".
      result.error = "UDP receive failed: " + receive_error.message();
      co_return result;
    }
    auto parsed = parse_message(std::span(receive_buffer_.data(), size));
    if (!parsed.message || !is_answer_to(*parsed.message, id, name, type)) {
      ++result.ignored_datagrams;
      continue;
    }
    accept_response(std::move(*parsed.message), result);
    co_return result;
  }
}

asio::awaitable<DnsQueryResult> DnsClient::query_tcp(const std::vector<std::uint8_t>& request,
                                                     std::uint16_t id, const std::string& name,
                                                     RecordType type) {
  DnsQueryResult result;
  result.over_tcp = true;
  // One deadline for the whole exchange: connect, write and both reads.
  beast::tcp_stream stream(executor_);
  stream.expires_after(settings_.attempt_timeout);

  // RFC 1035 section 4.2.2: over TCP each message is preceded by its length in two bytes.
  std::vector<std::uint8_t> framed(2 + request.size());
  framed[0] = static_cast<std::uint8_t>(request.size() >> 8);
  framed[1] = static_cast<std::uint8_t>(request.size() & 0xff);
  std::copy(request.begin(), request.end(), framed.begin() + 2);
  std::array<std::uint8_t, 2> length_bytes{};

  const asio::ip::tcp::endpoint server(settings_.server.address(), settings_.server.port());
  auto [error] = co_await stream.async_connect(server, kUseTuple);
  if (!error) {
    std::tie(error, std::ignore) =
        co_await asio::async_write(stream, asio::buffer(framed), kUseTuple);
  }
  if (!error) {
    std::tie(error, std::ignore) =
        co_await asio::async_read(stream, asio::buffer(length_bytes), kUseTuple);
  }
  const std::size_t length = (std::size_t{length_bytes[0]} << 8) | length_bytes[1];
  if (!error) {
    std::tie(error, std::ignore) =
        co_await asio::async_read(stream, asio::buffer(receive_buffer_.data(), length), kUseTuple);
  }
  if (error) {
    result.error = error == beast::error::timeout ? std::string(kTimedOut)
                                                  : "TCP exchange failed: " + error.message();
    co_return result;
  }

  auto parsed = parse_message(std::span(receive_buffer_.data(), length));
  if (!parsed.message) {
    result.error = "invalid answer over TCP: " + parsed.error;
  } else if (!is_answer_to(*parsed.message, id, name, type)) {
    result.error = "answer over TCP does not match the question";
  } else {
    accept_response(std::move(*parsed.message), result);
  }
  co_return result;
}

std::vector<shared::HostPort> parse_resolv_conf_nameservers(std::string_view text) {
  std::vector<shared::HostPort> servers;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword;
    std::string address;
    if (!(words >> keyword >> address) || keyword != "nameserver") {
      continue;
    }
    error_code error;
    asio::ip::make_address(address, error);
    if (!error) {
      servers.push_back({address, 53});
    }
  }
  return servers;
}

shared::HostPort system_dns_server() {
  std::ifstream file("/etc/resolv.conf");
  std::ostringstream text;
  text << file.rdbuf();
  const auto servers = parse_resolv_conf_nameservers(text.str());
  if (servers.empty()) {
    return {"127.0.0.1", 53};
  }
  return servers.front();
}

}  // namespace winebot::hub::dns

#include "hub/discovery/dns_client.hpp"

#include <functional>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "tests/unit/hub/discovery/dns_test_messages.hpp"

namespace winebot::hub::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using testing::kResponseFlags;
using testing::kServiceName;
using testing::MessageBuilder;
using Bytes = std::vector<std::uint8_t>;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A DNS server on 127.0.0.1 that answers UDP and TCP on one port with what the test returns.
class FakeDnsServer {
 public:
  using UdpReply = std::function<std::vector<Bytes>(const Message& query)>;
  using TcpReply = std::function<Bytes(const Message& query)>;

  explicit FakeDnsServer(asio::io_context& io) : udp_(io), acceptor_(io) {
    // Find a port free for both UDP and TCP.
    for (int attempt = 0; attempt < 20 && !acceptor_.is_open(); ++attempt) {
      udp_ = udp::socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      boost::system::error_code error;
      acceptor_.open(tcp::v4());
      acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), error);
      if (error) {
        acceptor_.close();
        continue;
      }
      acceptor_.listen();
    }
    REQUIRE(acceptor_.is_open());
    asio::co_spawn(io, serve_udp(), asio::detached);
    asio::co_spawn(io, serve_tcp(), asio::detached);
  }

  std::uint16_t port() const { return udp_.local_endpoint().port(); }

  UdpReply udp_reply;
  TcpReply tcp_reply;
  int udp_queries = 0;
  int tcp_queries = 0;
  std::optional<Message> last_query;

 private:
  asio::awaitable<void> serve_udp() {
    Bytes buffer(kMaxMessageBytes);
    while (true) {
      udp::endpoint client;
      auto [error, size] =
          co_await udp_.async_receive_from(asio::buffer(buffer), client, kUseTuple);
      if (error) {
        co_return;
      }
      ++udp_queries;
      auto query = parse_message(std::span(buffer.data(), size));
      if (!query.message) {
        continue;
      }
      last_query = query.message;
      for (const auto& datagram : udp_reply(*query.message)) {
        co_await udp_.async_send_to(asio::buffer(datagram), client, kUseTuple);
      }
    }
  }

  asio::awaitable<void> serve_tcp() {
    while (true) {
      auto [error, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (error) {
        co_return;
      }
      ++tcp_queries;
      std::array<std::uint8_t, 2> length{};
      co_await asio::async_read(socket, asio::buffer(length), kUseTuple);
      Bytes query_bytes((length[0] << 8) | length[1]);
      co_await asio::async_read(socket, asio::buffer(query_bytes), kUseTuple);
      auto query = parse_message(std::span(query_bytes.data(), query_bytes.size()));
      if (!query.message) {
        continue;
      }
      const auto reply = tcp_reply(*query.message);
      if (reply.empty()) {
        continue;  // Closes the connection without an answer.
      }
      // A two-byte length prefix, then the message (RFC 1035 section 4.2.2).
      Bytes framed;
      framed.reserve(reply.size() + 2);
      framed.push_back(static_cast<std::uint8_t>(reply.size() >> 8));
      framed.push_back(static_cast<std::uint8_t>(reply.size() & 0xff));
      framed.insert(framed.end(), reply.begin(), reply.end());
      co_await asio::async_write(socket, asio::buffer(framed), kUseTuple);
    }
  }

  udp::socket udp_;
  tcp::acceptor acceptor_;
};

// An SRV answer with two targets to `query`, with `flags` in the header.
Bytes srv_answer(const Message& query, std::uint16_t flags = kResponseFlags,
                 std::uint16_t id_offset = 0) {
  MessageBuilder builder(static_cast<std::uint16_t>(query.id + id_offset), flags);
  builder.counts(1, 2, 0, 0)
      .question(query.questions.at(0).name, query.questions.at(0).type)
      .srv(kServiceName, 9001, "node-0.nodes.test")
      .srv(kServiceName, 9002, "node-1.nodes.test");
  return builder.bytes();
}

// A header-only answer to `query` with `flags`.
Bytes empty_answer(const Message& query, std::uint16_t flags) {
  MessageBuilder builder(query.id, flags);
  builder.counts(1, 0, 0, 0).question(query.questions.at(0).name, query.questions.at(0).type);
  return builder.bytes();
}

struct ClientFixture {
  asio::io_context io;
  FakeDnsServer server{io};

  DnsQueryResult query(const std::string& name, RecordType type = RecordType::kSrv) {
    DnsClientSettings settings;
    settings.server = udp::endpoint(asio::ip::make_address("127.0.0.1"), server.port());
    settings.attempt_timeout = std::chrono::milliseconds(200);
    DnsClient client(io.get_executor(), settings);
    std::optional<DnsQueryResult> result;
    asio::co_spawn(io, client.query(name, type),
                   [&](std::exception_ptr failure, DnsQueryResult value) {
                     REQUIRE_FALSE(failure);
                     result = std::move(value);
                     io.stop();
                   });
    io.run_for(std::chrono::seconds(10));
    REQUIRE(result);
    return *result;
  }
};

TEST_CASE("DnsClient returns an answer over UDP", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{srv_answer(query)};
  };
  const auto result = fixture.query(kServiceName);
  CHECK(result.ok);
  CHECK(result.error.empty());
  CHECK_FALSE(result.over_tcp);
  CHECK(result.message.answers.size() == 2);
  CHECK(fixture.server.udp_queries == 1);
  CHECK(fixture.server.tcp_queries == 0);
}

TEST_CASE("DnsClient query advertises the EDNS payload size", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{srv_answer(query)};
  };
  fixture.query(kServiceName);
  REQUIRE(fixture.server.last_query);
  REQUIRE(fixture.server.last_query->additionals.size() == 1);
  CHECK(fixture.server.last_query->additionals[0].type == 41);
  CHECK(fixture.server.last_query->additionals[0].record_class == 1232);
}

TEST_CASE("DnsClient drops an answer with another id", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{srv_answer(query, kResponseFlags, 1), srv_answer(query)};
  };
  const auto result = fixture.query(kServiceName);
  CHECK(result.ok);
  CHECK(result.ignored_datagrams == 1);
}

TEST_CASE("DnsClient drops an answer to another question", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    MessageBuilder other(query.id, kResponseFlags);
    other.counts(1, 0, 0, 0).question("other.test", 33);
    return std::vector<Bytes>{other.bytes(), Bytes{1, 2, 3}, srv_answer(query)};
  };
  const auto result = fixture.query(kServiceName);
  CHECK(result.ok);
  CHECK(result.ignored_datagrams == 2);
}

TEST_CASE("DnsClient retries a lost datagram then times out", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message&) { return std::vector<Bytes>{}; };
  const auto result = fixture.query(kServiceName);
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::StartsWith("timed out (DNS server 127.0.0.1:"));
  CHECK(fixture.server.udp_queries == 2);
}

TEST_CASE("DnsClient reports SERVFAIL without retrying", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{empty_answer(query, 0x8182)};
  };
  const auto result = fixture.query(kServiceName);
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::StartsWith("server returned SERVFAIL"));
  CHECK(fixture.server.udp_queries == 1);
}

TEST_CASE("DnsClient accepts NXDOMAIN as an answer", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{empty_answer(query, 0x8183)};
  };
  const auto result = fixture.query(kServiceName);
  CHECK(result.ok);
  CHECK(result.message.rcode == kRcodeNameError);
  CHECK(result.message.answers.empty());
}

TEST_CASE("DnsClient asks again over TCP when truncated", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{empty_answer(query, kResponseFlags | 0x0200)};
  };
  fixture.server.tcp_reply = [](const Message& query) { return srv_answer(query); };
  const auto result = fixture.query(kServiceName);
  CHECK(result.ok);
  CHECK(result.over_tcp);
  CHECK(result.message.answers.size() == 2);
  CHECK(fixture.server.tcp_queries == 1);
}

TEST_CASE("DnsClient reports a TCP connection closed early", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{empty_answer(query, kResponseFlags | 0x0200)};
  };
  fixture.server.tcp_reply = [](const Message&) { return Bytes{}; };
  const auto result = fixture.query(kServiceName);
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::StartsWith("TCP exchange failed"));
}

TEST_CASE("DnsClient rejects a TCP answer with another id", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{empty_answer(query, kResponseFlags | 0x0200)};
  };
  fixture.server.tcp_reply = [](const Message& query) {
    return srv_answer(query, kResponseFlags, 1);
  };
  const auto result = fixture.query(kServiceName);
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::StartsWith("answer over TCP does not match the question"));
}

TEST_CASE("DnsClient rejects an invalid name", "[dns]") {
  ClientFixture fixture;
  fixture.server.udp_reply = [](const Message& query) {
    return std::vector<Bytes>{srv_answer(query)};
  };
  const auto result = fixture.query("a..b");
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.error, Catch::StartsWith("invalid name 'a..b'"));
  CHECK(fixture.server.udp_queries == 0);
}

TEST_CASE("parse_resolv_conf_nameservers reads nameserver lines", "[dns]") {
  const auto servers = parse_resolv_conf_nameservers(
      "# generated\n"
      "search default.svc.cluster.local svc.cluster.local\n"
      "nameserver 10.96.0.10\n"
      "; comment\n"
      "nameserver   2001:db8::53  \n"
      "nameserver not-an-address\n"
      "options ndots:5\n");
  REQUIRE(servers.size() == 2);
  CHECK(servers[0].host == "10.96.0.10");
  CHECK(servers[0].port == 53);
  CHECK(servers[1].host == "2001:db8::53");
  CHECK(parse_resolv_conf_nameservers("").empty());
}

TEST_CASE("is_answer_to checks id, question and response flag", "[dns]") {
  Message message;
  message.response = true;
  message.id = 5;
  message.questions.push_back({"a.test", 33, 1});
  CHECK(is_answer_to(message, 5, "A.Test.", RecordType::kSrv));
  CHECK_FALSE(is_answer_to(message, 6, "a.test", RecordType::kSrv));
  CHECK_FALSE(is_answer_to(message, 5, "b.test", RecordType::kSrv));
  CHECK_FALSE(is_answer_to(message, 5, "a.test", RecordType::kA));
  message.response = false;
  CHECK_FALSE(is_answer_to(message, 5, "a.test", RecordType::kSrv));
}

}  // namespace
}  // namespace winebot::hub::dns

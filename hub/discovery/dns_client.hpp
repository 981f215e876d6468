#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "hub/discovery/dns_message.hpp"
#include "shared/config/host_port.hpp"

namespace winebot::hub::dns {

struct DnsClientSettings {
  boost::asio::ip::udp::endpoint server;
  // Deadline of one attempt: the UDP send and wait for an answer, or the whole TCP exchange.
  std::chrono::milliseconds attempt_timeout{1500};
  int udp_attempts = 2;  // A lost UDP datagram is sent again; TCP is tried once.
  // UDP payload size advertised with EDNS(0). 1232 bytes fits the IPv6 minimum MTU without
  // fragmentation; a larger answer comes back truncated and is asked for again over TCP.
  std::uint16_t udp_payload_bytes = 1232;
};

struct DnsQueryResult {
  // A response to this question arrived with NOERROR or NXDOMAIN, so `message` is the server's
  // authoritative view: an NXDOMAIN or an empty answer section means no records.
  bool ok = false;
  Message message;
  std::string error;  // Reason `ok` is false, e.g. "timed out", "server returned SERVFAIL".
  bool over_tcp = false;
  int ignored_datagrams = 0;  // UDP datagrams dropped for a wrong id, question or format.
};

// A stub resolver client that sends recursive queries to one DNS server: UDP first with EDNS(0),
// then TCP when the answer is truncated (RFC 7766). A UDP answer counts only when it comes from
// the server's address, carries the query's random id and repeats the question. Any other
// datagram is dropped and counted. Never throws for network errors or bad answers.
// Threading: belongs to its executor; one query at a time per client.
class DnsClient {
 public:
  DnsClient(boost::asio::any_io_executor executor, DnsClientSettings settings);

  boost::asio::awaitable<DnsQueryResult> query(std::string name, RecordType type);

  const DnsClientSettings& settings() const { return settings_; }

 private:
  boost::asio::awaitable<DnsQueryResult> query_udp(const std::vector<std::uint8_t>& request,
                                                   std::uint16_t id, const std::string& name,
                                                   RecordType type);
  boost::asio::awaitable<DnsQueryResult> query_tcp(const std::vector<std::uint8_t>& request,
                                                   std::uint16_t id, const std::string& name,
                                                   RecordType type);

  boost::asio::any_io_executor executor_;
  DnsClientSettings settings_;
  std::mt19937 random_;
  std::vector<std::uint8_t> receive_buffer_;
};

// Returns the "nameserver" addresses of a resolv.conf text in file order, each on port 53.
// Comments (# or ;) and other options are skipped, and so are addresses that do not parse.
std::vector<shared::HostPort> parse_resolv_conf_nameservers(std::string_view text);

// The system's DNS server: the first nameserver of /etc/resolv.conf, or 127.0.0.1:53 when the
// file names none (what glibc uses then).
shared::HostPort system_dns_server();

// True when `message` is a response with `id` whose only question is `name` (any case) and
// `type` in class IN.
bool is_answer_to(const Message& message, std::uint16_t id, const std::string& name,
                  RecordType type);

}  // namespace winebot::hub::dns

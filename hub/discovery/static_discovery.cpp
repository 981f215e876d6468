#include "hub/discovery/static_discovery.hpp"

#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "shared/config/option_parser.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace

shared::HostPort parse_node_address(const std::string& text, const std::string& origin) {
  const auto parsed = shared::parse_host_port(text);
  // parse_host_port turns an empty host into 0.0.0.0, which names no node.
  if (!parsed || text.empty() || text.front() == ':' || parsed->port == 0) {
    throw shared::ConfigError("Configuration validation failed: " + origin +
                              " must be HOST:PORT with a host and a port from 1 to 65535, for "
                              "example 192.0.2.10:8000 or [2001:db8::10]:8000 (got '" +
                              text + "')");
  }
  return *parsed;
}

std::vector<shared::HostPort> parse_node_list(std::string_view text, const std::string& origin) {
  std::vector<shared::HostPort> nodes;
  std::istringstream lines{std::string(text)};
  std::string line;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    const auto entry = trim(std::string_view(line).substr(0, line.find('#')));
    if (entry.empty()) {
      continue;
    }
    nodes.push_back(parse_node_address(entry, origin + " line " + std::to_string(line_number)));
  }
  return nodes;
}

StaticDiscovery::StaticDiscovery(asio::io_context& io, NodeRegistry& registry, NodePoller& poller,
                                 std::vector<shared::HostPort> nodes,
                                 std::chrono::milliseconds interval)
    : io_(io),
      nodes_(std::move(nodes)),
      interval_(interval),
      sightings_(registry, poller),
      resolver_(io),
      timer_(io) {}

void StaticDiscovery::start() {
  shared::log_info("discovery.static_started",
                   {shared::field("nodes", static_cast<long long>(nodes_.size()))});
  asio::co_spawn(io_, run(), [](std::exception_ptr failure) {
    if (!failure) {
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      shared::log_error("discovery.static_failed", {shared::field("error", error.what())});
    }
  });
}

void StaticDiscovery::stop() {
  stopped_ = true;
  resolver_.cancel();
  timer_.cancel();
}

asio::awaitable<void> StaticDiscovery::run() {
  while (!stopped_) {
    const auto round_started = std::chrono::steady_clock::now();
    co_await refresh();
    if (stopped_) {
      break;
    }
    timer_.expires_at(round_started + interval_);
    co_await timer_.async_wait(kUseTuple);
  }
}

asio::awaitable<void> StaticDiscovery::refresh() {
  std::vector<NodeEndpoint> report;
  std::set<std::string> unresolved;
  for (const auto& node : nodes_) {
    auto [error, results] = co_await resolver_.async_resolve(
        node.host, std::to_string(node.port), tcp::resolver::numeric_service, kUseTuple);
    if (stopped_) {
      co_return;
    }
    if (error) {
      log_lookup_failure(node, error.message());
      unresolved.insert(node.host + ":" + std::to_string(node.port));
      continue;
    }
    last_errors_.erase(node.host);
    for (const auto& result : results) {
      report.push_back(to_endpoint(node, result.endpoint().address().to_string()));
    }
  }
  sightings_.apply(report, unresolved);
}

NodeEndpoint StaticDiscovery::to_endpoint(const shared::HostPort& node,
                                          const std::string& address) const {
  NodeEndpoint endpoint;
  endpoint.key = "static:" + node.to_string() + "/" + address;
  endpoint.source = "static";
  endpoint.address = address;
  endpoint.port = node.port;
  endpoint.ipv6 = address.find(':') != std::string::npos;
  endpoint.instance_name = node.to_string();
  endpoint.host_name = node.host;
  return endpoint;
}

void StaticDiscovery::log_lookup_failure(const shared::HostPort& node, const std::string& error) {
  auto& last = last_errors_[node.host];
  if (last == error) {
    return;  // Logged when it first failed this way.
  }
  last = error;
  shared::log_warn("discovery.static_lookup_failed",
                   {shared::field("node", node.to_string()), shared::field("error", error),
                    shared::field("next", "keeping its previous addresses; retrying")});
}

}  // namespace winebot::hub

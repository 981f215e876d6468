#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hub/discovery/sighting_set.hpp"
#include "shared/config/host_port.hpp"

namespace winebot::hub {

class NodePoller;
class NodeRegistry;

// Parses a nodes file: one HOST:PORT per line, `[V6]:PORT` for IPv6 literals. Blank lines and
// text after `#` are ignored. Throws shared::ConfigError naming `origin` and the line number for
// a line that is not HOST:PORT or has an empty host.
std::vector<shared::HostPort> parse_node_list(std::string_view text, const std::string& origin);

// Parses one `--node` value with the same rules; throws shared::ConfigError naming `origin`.
shared::HostPort parse_node_address(const std::string& text, const std::string& origin);

// Discovery from a fixed list of HOST:PORT entries (`--node`, `--nodes-file`). Each address a
// host resolves to becomes a sighting with source "static", provisional until its first probe
// returns a node_id, as with DNS SRV. Host names are resolved again every `interval` through the
// system resolver (getaddrinfo, which Asio runs on its own resolver thread); a host whose lookup
// fails keeps its previous addresses. IP literals need no lookup.
// Threading: belongs to the io_context thread, like the registry.
class StaticDiscovery {
 public:
  StaticDiscovery(boost::asio::io_context& io, NodeRegistry& registry, NodePoller& poller,
                  std::vector<shared::HostPort> nodes, std::chrono::milliseconds interval);
  StaticDiscovery(const StaticDiscovery&) = delete;
  StaticDiscovery& operator=(const StaticDiscovery&) = delete;

  void start();
  void stop();

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> refresh();
  NodeEndpoint to_endpoint(const shared::HostPort& node, const std::string& address) const;
  void log_lookup_failure(const shared::HostPort& node, const std::string& error);

  boost::asio::io_context& io_;
  std::vector<shared::HostPort> nodes_;
  std::chrono::milliseconds interval_;
  SightingSet sightings_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  std::map<std::string, std::string> last_errors_;  // Host to its last lookup error, logged once.
  bool stopped_ = false;
};

}  // namespace winebot::hub

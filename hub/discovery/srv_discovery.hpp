#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hub/discovery/dns_client.hpp"
#include "hub/discovery/sighting_set.hpp"
#include "hub/discovery/srv_answer.hpp"

namespace winebot::hub {

class NodePoller;
class NodeRegistry;

struct SrvDiscoverySettings {
  // SRV name to query, e.g. "_winebot._tcp.winebot-nodes.default.svc.cluster.local", the name a
  // Kubernetes headless Service with a port named "winebot" publishes.
  std::string name;
  dns::DnsClientSettings dns;
  std::chrono::milliseconds interval{5000};  // From the start of one query round to the next.
};

// Discovery through DNS SRV records, for networks that mDNS does not cross such as Kubernetes pod
// networks. Every round queries the SRV name, then A and AAAA for each target that the answer's
// additional section does not cover. Each target address becomes a sighting with source "srv"
// whose node is provisional until its first probe returns a node_id. A target missing from a
// successful answer is removed, so the poller probes it. A failed query changes nothing.
// Threading: belongs to the io_context thread, like the registry.
class SrvDiscovery {
 public:
  SrvDiscovery(boost::asio::io_context& io, NodeRegistry& registry, NodePoller& poller,
               SrvDiscoverySettings settings);
  ~SrvDiscovery();
  SrvDiscovery(const SrvDiscovery&) = delete;
  SrvDiscovery& operator=(const SrvDiscovery&) = delete;

  void start();
  // Stops after the query in flight, which its own deadline bounds.
  void stop();

 private:
  struct AddressLookup {
    bool ok = false;  // Both queries were answered, so `addresses` is complete.
    std::vector<std::string> addresses;
    std::string error;
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> refresh();
  boost::asio::awaitable<AddressLookup> lookup_addresses(const std::string& host);
  NodeEndpoint to_endpoint(const dns::SrvTarget& target, const std::string& address) const;
  void report_failure(const std::string& error);

  boost::asio::io_context& io_;
  SrvDiscoverySettings settings_;
  dns::DnsClient client_;
  SightingSet sightings_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  int consecutive_failures_ = 0;
  long long last_target_count_ = -1;  // Logged when it changes; -1 before the first answer.
};

}  // namespace winebot::hub

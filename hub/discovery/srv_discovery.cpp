#include "hub/discovery/srv_discovery.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hub/discovery/srv_answer.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// After the first failure, a failing SRV query is logged again only every this many rounds.
constexpr int kFailureLogEvery = 60;

bool is_ip_literal(const std::string& text) {
  boost::system::error_code error;
  asio::ip::make_address(text, error);
  return !error;
}

}  // namespace

SrvDiscovery::SrvDiscovery(asio::io_context& io, NodeRegistry& registry, NodePoller& poller,
                           SrvDiscoverySettings settings)
    : io_(io),
      settings_(std::move(settings)),
      client_(io.get_executor(), settings_.dns),
      sightings_(registry, poller),
      timer_(io) {}

SrvDiscovery::~SrvDiscovery() = default;

void SrvDiscovery::start() {
  shared::log_info("discovery.srv_started",
                   {shared::field("name", settings_.name),
                    shared::field("dns_server", settings_.dns.server.address().to_string() + ":" +
                                                    std::to_string(settings_.dns.server.port())),
                    shared::field("interval_s", settings_.interval.count() / 1000.0)});
  asio::co_spawn(io_, run(), [](std::exception_ptr failure) {
    if (!failure) {
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      shared::log_error("discovery.srv_failed", {shared::field("error", error.what())});
    }
  });
}

void SrvDiscovery::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> SrvDiscovery::run() {
  while (!stopped_) {
    const auto round_started = std::chrono::steady_clock::now();
    co_await refresh();
    if (stopped_) {
      break;
    }
    timer_.expires_at(round_started + settings_.interval);
    co_await timer_.async_wait(kUseTuple);
  }
}

asio::awaitable<void> SrvDiscovery::refresh() {
  const auto answer = co_await client_.query(settings_.name, dns::RecordType::kSrv);
  if (!answer.ok) {
    report_failure(answer.error);
    co_return;
  }
  if (consecutive_failures_ > 0) {
    shared::log_info("discovery.srv_recovered",
                     {shared::field("name", settings_.name),
                      shared::field("failed_rounds", consecutive_failures_)});
    consecutive_failures_ = 0;
  }

  const auto targets = dns::extract_srv_targets(answer.message, settings_.name);
  std::vector<NodeEndpoint> report;
  std::set<std::string> unresolved;
  bool server_failing = false;
  for (const auto& target : targets) {
    auto addresses = dns::extract_addresses(answer.message, target.host);
    if (addresses.empty() && is_ip_literal(target.host)) {
      addresses.push_back(target.host);
    }
    if (addresses.empty()) {
      // Once one lookup fails, the rest of this round would most likely wait for the same
      // timeout, so the remaining targets keep their old sightings until the next round.
      auto lookup = server_failing ? AddressLookup{} : co_await lookup_addresses(target.host);
      if (!lookup.ok) {
        server_failing = true;
        unresolved.insert(target.host + ":" + std::to_string(target.port));
        continue;
      }
      addresses = std::move(lookup.addresses);
    }
    for (const auto& address : addresses) {
      report.push_back(to_endpoint(target, address));
    }
  }
  if (stopped_) {
    co_return;
  }
  sightings_.apply(report, unresolved);
  if (static_cast<long long>(targets.size()) != last_target_count_) {
    // A typo in the name shows up here as zero targets with NXDOMAIN.
    last_target_count_ = static_cast<long long>(targets.size());
    shared::log_info(
        "discovery.srv_targets",
        {shared::field("name", settings_.name), shared::field("targets", last_target_count_),
         shared::field("rcode",
                       answer.message.rcode == dns::kRcodeNameError ? "NXDOMAIN" : "NOERROR")});
  }
  shared::log_debug("discovery.srv_answer",
                    {shared::field("name", settings_.name),
                     shared::field("targets", static_cast<long long>(targets.size())),
                     shared::field("sightings", static_cast<long long>(report.size())),
                     shared::field("unresolved", static_cast<long long>(unresolved.size())),
                     shared::field("over_tcp", answer.over_tcp ? "yes" : "no")});
}

asio::awaitable<SrvDiscovery::AddressLookup> SrvDiscovery::lookup_addresses(
    const std::string& host) {
  AddressLookup lookup;
  for (const auto type : {dns::RecordType::kA, dns::RecordType::kAaaa}) {
    const auto answer = co_await client_.query(host, type);
    if (!answer.ok) {
      lookup.error = answer.error;
      shared::log_warn("discovery.srv_target_lookup_failed",
                       {shared::field("host", host), shared::field("error", answer.error)});
      co_return lookup;
    }
    for (auto& address : dns::extract_addresses(answer.message, host)) {
      lookup.addresses.push_back(std::move(address));
    }
  }
  lookup.ok = true;
  co_return lookup;
}

NodeEndpoint SrvDiscovery::to_endpoint(const dns::SrvTarget& target,
                                       const std::string& address) const {
  NodeEndpoint endpoint;
  endpoint.key = "srv:" + target.host + ":" + std::to_string(target.port) + "/" + address;
  endpoint.source = "srv";
  endpoint.address = address;
  endpoint.port = target.port;
  endpoint.ipv6 = address.find(':') != std::string::npos;
  endpoint.instance_name = target.host;
  endpoint.host_name = target.host;
  endpoint.service_type = settings_.name;
  return endpoint;
}

void SrvDiscovery::report_failure(const std::string& error) {
  if (consecutive_failures_++ % kFailureLogEvery == 0) {
    shared::log_warn("discovery.srv_query_failed",
                     {shared::field("name", settings_.name), shared::field("error", error),
                      shared::field("failed_rounds", consecutive_failures_),
                      shared::field("next", "keeping the sightings of the last good answer")});
  }
}

}  // namespace winebot::hub

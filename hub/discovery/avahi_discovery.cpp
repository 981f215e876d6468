#include "hub/discovery/avahi_discovery.hpp"

#include "hub/poller/node_poller.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/log/logger.hpp"
#include "shared/mdns/service_browser.hpp"

namespace winebot::hub {
namespace {

NodeEndpoint to_endpoint(const shared::ServiceSighting& sighting) {
  NodeEndpoint endpoint;
  endpoint.key = sighting.key;
  endpoint.source = "avahi";
  endpoint.address = sighting.address;
  endpoint.port = sighting.port;
  endpoint.interface_name = sighting.interface_name;
  endpoint.ipv6 = sighting.ipv6;
  endpoint.instance_name = sighting.name;
  endpoint.host_name = sighting.host_name;
  endpoint.service_type = sighting.type;
  return endpoint;
}

}  // namespace

AvahiDiscovery::AvahiDiscovery(shared::AsioPoll& poll, NodeRegistry& registry, NodePoller& poller) {
  shared::ServiceBrowser::Callbacks callbacks;
  callbacks.resolved = [&registry, &poller](const shared::ServiceSighting& sighting) {
    const auto id = registry.add_sighting(to_endpoint(sighting), sighting.txt);
    shared::log_debug("discovery.sighting",
                      {shared::field("node", id), shared::field("name", sighting.name),
                       shared::field("address", sighting.address),
                       shared::field("port", static_cast<long long>(sighting.port)),
                       shared::field("interface", sighting.interface_name)});
    poller.poke(id);
  };
  callbacks.removed = [&registry, &poller](const std::string& key) {
    if (const auto id = registry.remove_sighting(key)) {
      shared::log_debug("discovery.sighting_removed",
                        {shared::field("node", *id), shared::field("sighting", key)});
      poller.poke(*id);
    }
  };
  browser_ = std::make_unique<shared::ServiceBrowser>(
      poll, std::vector<std::string>{kNodeServiceType, kLegacyNodeServiceType},
      std::move(callbacks));
}

AvahiDiscovery::~AvahiDiscovery() = default;

void AvahiDiscovery::start() {
  browser_->start();
}

void AvahiDiscovery::stop() {
  browser_->stop();
}

}  // namespace winebot::hub

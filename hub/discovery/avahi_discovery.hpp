#pragma once

#include <memory>

namespace winebot::shared {
class AsioPoll;
class ServiceBrowser;
}  // namespace winebot::shared

namespace winebot::hub {

class NodePoller;
class NodeRegistry;

// mDNS service types the hub browses: the fleet's own and WineBot's older one.
inline constexpr const char* kNodeServiceType = "_winebot._tcp";
inline constexpr const char* kLegacyNodeServiceType = "_winebot-session._tcp";

// Discovery through the Avahi daemon: every resolved sighting becomes a registry sighting and
// makes the poller probe the node at once, and every removal (a goodbye, or the daemon going
// away) does the same, so the probe decides between online and gone.
// Threading: belongs to the io_context thread of the AsioPoll.
class AvahiDiscovery {
 public:
  AvahiDiscovery(shared::AsioPoll& poll, NodeRegistry& registry, NodePoller& poller);
  ~AvahiDiscovery();

  // Throws std::runtime_error when the Avahi client library cannot start.
  void start();
  void stop();

 private:
  std::unique_ptr<shared::ServiceBrowser> browser_;
};

}  // namespace winebot::hub

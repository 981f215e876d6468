#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/mdns/txt_record.hpp"

namespace winebot::shared {

class AsioPoll;

// One resolved sighting of a service instance: the same instance seen on another interface or
// over the other IP protocol is another sighting with another key.
struct ServiceSighting {
  std::string key;  // Stable for one interface, protocol, name, type and domain.
  std::string name;
  std::string type;
  std::string domain;
  std::string host_name;
  std::string address;  // IPv6 link-local addresses carry their scope: "fe80::1%eth0".
  std::uint16_t port = 0;
  int interface_index = -1;
  std::string interface_name;
  bool ipv6 = false;
  TxtRecord txt;
};

// Browses service types on every interface and both IP protocols, resolves each instance and
// keeps the resolver running so that TXT changes are reported again as `resolved`. When the
// daemon goes away every known sighting is reported `removed`, and browsing starts again when it
// returns. Threading: belongs to the AsioPoll's io_context thread; callbacks run there.
class ServiceBrowser {
 public:
  struct Callbacks {
    std::function<void(const ServiceSighting&)> resolved;
    std::function<void(const std::string& key)> removed;
  };

  ServiceBrowser(AsioPoll& poll, std::vector<std::string> types, Callbacks callbacks);
  ~ServiceBrowser();
  ServiceBrowser(const ServiceBrowser&) = delete;
  ServiceBrowser& operator=(const ServiceBrowser&) = delete;

  // Throws std::runtime_error when the client library cannot start at all.
  void start();
  void stop();
  std::size_t sighting_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The key of a sighting, from the fields Avahi reports it by.
std::string make_sighting_key(int interface_index, bool ipv6, const std::string& name,
                              const std::string& type, const std::string& domain);

}  // namespace winebot::shared

#include "shared/mdns/service_browser.hpp"

#include <avahi-common/address.h>
#include <net/if.h>

#include <map>
#include <set>
#include <stdexcept>

#include "shared/log/logger.hpp"
#include "shared/mdns/asio_poll.hpp"
#include "shared/mdns/avahi_handles.hpp"

namespace winebot::shared {
namespace {

std::string interface_name(int index) {
  char name[IF_NAMESIZE] = {};
  if (index < 0 || if_indextoname(static_cast<unsigned>(index), name) == nullptr) {
    return std::to_string(index);
  }
  return name;
}

std::string format_address(const AvahiAddress& address, int interface_index) {
  char text[AVAHI_ADDRESS_STR_MAX] = {};
  avahi_address_snprint(text, sizeof text, &address);
  std::string formatted = text;
  const bool link_local = address.proto == AVAHI_PROTO_INET6 &&
                          address.data.ipv6.address[0] == 0xfe &&
                          (address.data.ipv6.address[1] & 0xc0) == 0x80;
  if (link_local) {
    formatted += "%" + interface_name(interface_index);
  }
  return formatted;
}

}  // namespace

std::string make_sighting_key(int interface_index, bool ipv6, const std::string& name,
                              const std::string& type, const std::string& domain) {
  return std::to_string(interface_index) + (ipv6 ? "/v6/" : "/v4/") + name + "." + type + "." +
         domain;
}

class ServiceBrowser::Impl {
 public:
  Impl(AsioPoll& poll, std::vector<std::string> types, Callbacks callbacks)
      : poll_(poll), types_(std::move(types)), callbacks_(std::move(callbacks)) {}

  ~Impl() { stop(); }

  void start() {
    stopped_ = false;
    connect();
    if (!client_) {
      throw std::runtime_error("failed to create the Avahi client: " + avahi_error_text(error_));
    }
  }

  void stop() {
    stopped_ = true;
    retry_.reset();
    resolvers_.clear();
    browsers_.clear();
    client_.reset();
    sightings_.clear();
  }

  std::size_t sighting_count() const { return sightings_.size(); }

 private:
  void connect() {
    int error = 0;
    client_running_ = false;
    client_.reset(
        avahi_client_new(poll_.get(), AVAHI_CLIENT_NO_FAIL, &Impl::on_client_event, this, &error));
    error_ = error;
  }

  static void on_client_event(AvahiClient* client, AvahiClientState state, void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        self.client_running_ = true;
        self.create_browsers(client);
        break;
      case AVAHI_CLIENT_CONNECTING:
        log_warn("mdns.daemon_unavailable", {});
        self.forget_everything();
        break;
      case AVAHI_CLIENT_FAILURE:
        log_error("mdns.client_failed",
                  {field("error", avahi_error_text(avahi_client_errno(client)))});
        self.forget_everything();
        self.schedule_retry(
            client_retry_delay_ms(avahi_client_errno(client), self.client_running_));
        break;
      case AVAHI_CLIENT_S_REGISTERING:
      case AVAHI_CLIENT_S_COLLISION:
        break;
    }
  }

  void create_browsers(AvahiClient* client) {
    if (!browsers_.empty()) {
      return;
    }
    for (const auto& type : types_) {
      AvahiServiceBrowserPtr browser(
          avahi_service_browser_new(client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, type.c_str(),
                                    nullptr, AvahiLookupFlags(0), &Impl::on_browse_event, this));
      if (!browser) {
        log_error(
            "mdns.browse_failed",
            {field("type", type), field("error", avahi_error_text(avahi_client_errno(client)))});
        continue;
      }
      log_info("mdns.browsing", {field("type", type)});
      browsers_.push_back(std::move(browser));
    }
  }

  // Reports every known sighting as removed and drops browsers and resolvers, which are useless
  // once the daemon that held them is gone.
  void forget_everything() {
    resolvers_.clear();
    browsers_.clear();
    const auto known = std::move(sightings_);
    sightings_.clear();
    for (const auto& key : known) {
      callbacks_.removed(key);
    }
  }

  static void on_browse_event(AvahiServiceBrowser* browser, AvahiIfIndex interface,
                              AvahiProtocol protocol, AvahiBrowserEvent event, const char* name,
                              const char* type, const char* domain,
                              AvahiLookupResultFlags /*flags*/, void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    switch (event) {
      case AVAHI_BROWSER_NEW:
        self.resolve(avahi_service_browser_get_client(browser), interface, protocol, name, type,
                     domain);
        break;
      case AVAHI_BROWSER_REMOVE:
        self.remove(
            make_sighting_key(interface, protocol == AVAHI_PROTO_INET6, name, type, domain));
        break;
      case AVAHI_BROWSER_FAILURE:
        log_error("mdns.browse_failed",
                  {field("error", avahi_error_text(avahi_client_errno(
                                      avahi_service_browser_get_client(browser))))});
        break;
      case AVAHI_BROWSER_CACHE_EXHAUSTED:
      case AVAHI_BROWSER_ALL_FOR_NOW:
        break;
    }
  }

  void resolve(AvahiClient* client, AvahiIfIndex interface, AvahiProtocol protocol,
               const char* name, const char* type, const char* domain) {
    const auto key =
        make_sighting_key(interface, protocol == AVAHI_PROTO_INET6, name, type, domain);
    if (resolvers_.count(key) != 0) {
      return;
    }
    AvahiServiceResolverPtr resolver(
        avahi_service_resolver_new(client, interface, protocol, name, type, domain, protocol,
                                   AvahiLookupFlags(0), &Impl::on_resolve_event, this));
    if (!resolver) {
      log_warn("mdns.resolve_failed",
               {field("name", name), field("error", avahi_error_text(avahi_client_errno(client)))});
      return;
    }
    resolvers_[key] = std::move(resolver);
  }

  void remove(const std::string& key) {
    resolvers_.erase(key);
    if (sightings_.erase(key) != 0) {
      callbacks_.removed(key);
    }
  }

  static void on_resolve_event(AvahiServiceResolver* /*resolver*/, AvahiIfIndex interface,
                               AvahiProtocol protocol, AvahiResolverEvent event, const char* name,
                               const char* type, const char* domain, const char* host_name,
                               const AvahiAddress* address, std::uint16_t port,
                               AvahiStringList* txt, AvahiLookupResultFlags /*flags*/,
                               void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    const bool ipv6 = protocol == AVAHI_PROTO_INET6;
    const auto key = make_sighting_key(interface, ipv6, name, type, domain);
    if (event != AVAHI_RESOLVER_FOUND || address == nullptr) {
      // The resolver stays: Avahi keeps trying and reports FOUND if the records appear later.
      log_warn("mdns.resolve_failed",
               {field("name", name), field("interface", interface_name(interface)),
                field("protocol", ipv6 ? "ipv6" : "ipv4")});
      return;
    }

    ServiceSighting sighting;
    sighting.key = key;
    sighting.name = name;
    sighting.type = type;
    sighting.domain = domain;
    sighting.host_name = host_name == nullptr ? "" : host_name;
    sighting.address = format_address(*address, interface);
    sighting.port = port;
    sighting.interface_index = interface;
    sighting.interface_name = interface_name(interface);
    sighting.ipv6 = address->proto == AVAHI_PROTO_INET6;
    sighting.txt = parse_txt(read_avahi_string_list(txt));
    self.sightings_.insert(key);
    self.callbacks_.resolved(sighting);
  }

  void schedule_retry(unsigned delay_ms = kAvahiRetryDelayMs) {
    if (stopped_ || retry_) {
      return;
    }
    retry_ = start_avahi_timeout(poll_.get(), delay_ms, &Impl::on_retry, this);
  }

  static void on_retry(AvahiTimeout* /*timeout*/, void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    self.retry_.reset();
    self.resolvers_.clear();
    self.browsers_.clear();
    self.client_.reset();
    log_info("mdns.reconnecting", {});
    self.connect();
    if (!self.client_) {
      log_error("mdns.client_failed", {field("error", avahi_error_text(self.error_))});
      self.schedule_retry();
    }
  }

  AsioPoll& poll_;
  std::vector<std::string> types_;
  Callbacks callbacks_;
  std::set<std::string> sightings_;
  int error_ = 0;
  bool client_running_ = false;  // The current client reached AVAHI_CLIENT_S_RUNNING.
  bool stopped_ = false;
  // Destroyed in reverse order: resolvers and browsers before the client that owns them.
  AvahiClientPtr client_;
  std::vector<AvahiServiceBrowserPtr> browsers_;
  std::map<std::string, AvahiServiceResolverPtr> resolvers_;
  AvahiTimeoutPtr retry_;
};

ServiceBrowser::ServiceBrowser(AsioPoll& poll, std::vector<std::string> types, Callbacks callbacks)
    : impl_(std::make_unique<Impl>(poll, std::move(types), std::move(callbacks))) {}

ServiceBrowser::~ServiceBrowser() = default;

void ServiceBrowser::start() {
  impl_->start();
}

void ServiceBrowser::stop() {
  impl_->stop();
}

std::size_t ServiceBrowser::sighting_count() const {
  return impl_->sighting_count();
}

}  // namespace winebot::shared

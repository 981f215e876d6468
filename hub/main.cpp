// winebot-hub: wires discovery, the registry, the poller, the store and the HTTP API together.

#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include "hub/api/action_routes.hpp"
#include "hub/api/admin_auth.hpp"
#include "hub/api/event_routes.hpp"
#include "hub/api/hub_routes.hpp"
#include "hub/api/metrics_routes.hpp"
#include "hub/api/openapi_routes.hpp"
#include "hub/api/screenshot_routes.hpp"
#include "hub/api/stream_routes.hpp"
#include "hub/api/telemetry_routes.hpp"
#include "hub/discovery/avahi_discovery.hpp"
#include "hub/discovery/srv_discovery.hpp"
#include "hub/discovery/static_discovery.hpp"
#include "hub/hub_options.hpp"
#include "hub/poller/node_poller.hpp"
#include "hub/registry/node_registry.hpp"
#include "hub/store/node_store.hpp"
#include "hub/stream/event_bus.hpp"
#include "hub/stream/hub_event_feed.hpp"
#include "hub/stream/node_update_throttle.hpp"
#include "shared/http/http_server.hpp"
#include "shared/log/logger.hpp"
#include "shared/mdns/asio_poll.hpp"
#include "shared/mdns/service_publisher.hpp"
#include "winebot/version.hpp"

namespace {

using namespace winebot;

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The discovery sources that need no Avahi daemon: one per SRV name, and the static list.
struct AddressSources {
  std::vector<std::unique_ptr<hub::SrvDiscovery>> srv;
  std::unique_ptr<hub::StaticDiscovery> static_list;

  void start() {
    for (auto& source : srv) {
      source->start();
    }
    if (static_list) {
      static_list->start();
    }
  }

  void stop() {
    for (auto& source : srv) {
      source->stop();
    }
    if (static_list) {
      static_list->stop();
    }
  }
};

AddressSources make_address_sources(const hub::HubOptions& options, boost::asio::io_context& io,
                                    hub::NodeRegistry& registry, hub::NodePoller& poller) {
  AddressSources sources;
  if (!options.srv_names.empty()) {
    const auto server = options.dns_server.value_or(hub::dns::system_dns_server());
    for (const auto& name : options.srv_names) {
      hub::SrvDiscoverySettings settings;
      settings.name = name;
      settings.dns.server = {boost::asio::ip::make_address(server.host), server.port};
      settings.interval = options.srv_interval;
      sources.srv.push_back(std::make_unique<hub::SrvDiscovery>(io, registry, poller, settings));
    }
  }
  if (!options.static_nodes.empty()) {
    sources.static_list = std::make_unique<hub::StaticDiscovery>(
        io, registry, poller, options.static_nodes, options.srv_interval);
  }
  return sources;
}

int run(const hub::HubOptions& options) {
  shared::Logger::configure(options.log_level, options.log_format);
  boost::asio::io_context io;

  hub::NodeStore store(options.db);
  hub::NodeRegistry registry(&epoch_ms);
  registry.set_token_check([&options](const hub::NodeRecord& node) {
    return options.node_tokens.status_for(node.id, node.txt);
  });
  for (auto& node : store.load_nodes()) {
    registry.restore(std::move(node));
  }
  // Ids start at the start time in microseconds, so they keep growing across hub restarts.
  hub::EventBus bus(static_cast<std::uint64_t>(epoch_ms()) * 1000);
  store.set_commit_listener(hub::make_ingest_publisher(io, bus));
  store.set_retention(options.retention);
  store.start();

  registry.add_listener([&store](const hub::NodeRecord& node, bool state_changed) {
    // A provisional node is only an address that a source listed; its row would outlive it.
    if (!node.provisional) {
      store.save(node);
    }
    if (state_changed) {
      shared::log_info("node.state",
                       {shared::field("node", node.id), shared::field("name", node.name),
                        shared::field("state", hub::to_string(node.state)),
                        shared::field("reason", node.state_reason)});
    }
  });

  hub::StateSampler sampler(options.sample_interval);
  registry.add_listener([&store, &sampler](const hub::NodeRecord& node, bool) {
    if (node.provisional) {
      return;
    }
    if (auto sample = sampler.on_change(node, epoch_ms())) {
      store.add_sample(std::move(*sample));
    }
  });
  registry.add_removal_listener(
      [&sampler](const std::string& node_id, const std::string&) { sampler.forget(node_id); });

  hub::NodeUpdateThrottle update_throttle;
  registry.add_listener([&bus, &update_throttle](const hub::NodeRecord& node, bool state_changed) {
    if (update_throttle.allow(node.id, state_changed)) {
      hub::publish_node_change(bus, node, state_changed);
    }
  });
  registry.add_removal_listener(
      [&bus, &update_throttle](const std::string& node_id, const std::string& reason) {
        update_throttle.forget(node_id);
        hub::publish_node_removal(bus, node_id, reason);
      });

  hub::PollSettings poll_settings;
  poll_settings.interval = options.poll_interval;
  poll_settings.events_interval = options.events_interval;
  hub::NodePoller poller(io, registry, poll_settings, &store, store.load_cursors(),
                         &options.node_tokens);
  registry.set_identity_listener(
      [&poller](const std::string& provisional_id, const std::string& node_id) {
        shared::log_info("node.identified", {shared::field("provisional_id", provisional_id),
                                             shared::field("node", node_id)});
        poller.poke(node_id);
      });
  for (const auto* node : registry.nodes()) {
    if (node->state != hub::NodeState::kGone) {
      poller.poke(node->id);  // Probe remembered nodes at once; they may have come back.
    }
  }

  // Threads for long store reads (fleet summary, telemetry), so they never hold the io_context.
  boost::asio::thread_pool store_readers(2);
  shared::Router router;
  bool ready = false;
  hub::add_event_routes(router, registry, options.db);
  hub::add_stream_route(router, bus);
  hub::add_telemetry_routes(router, registry,
                            {options.db, options.sample_interval.count(),
                             options.recording_cpu_cores, &epoch_ms, store_readers.get_executor()});
  hub::add_openapi_route(router);
  hub::add_hub_routes(router, registry, options.web_root);
  hub::add_readiness_route(router, [&ready] { return ready; });
  hub::add_metrics_route(
      router, registry,
      {[&store] { return store.ingested_events(); }, [&store] { return store.committed_batches(); },
       [&poller] { return poller.active_count(); }, [&bus] { return bus.subscriber_count(); },
       [&bus] { return bus.dropped_total(); }, [&store] { return store.stored_samples(); },
       [&store] { return store.dropped_samples(); },
       [&store] { return store.retention_deleted_rows(); }});
  hub::AdminAuth admin_auth(options.admin_token);
  hub::add_admin_auth_routes(router, admin_auth);
  hub::add_action_routes(router, registry, options.node_tokens, admin_auth);
  hub::add_screenshot_route(router, registry, options.node_tokens);
  shared::log_info(
      "hub.actions",
      {shared::field("enabled", admin_auth.enabled() ? "yes" : "no (no WINEBOT_HUB_ADMIN_TOKEN)"),
       shared::field("node_tokens", static_cast<long long>(options.node_tokens.node_count())),
       shared::field("fleet_token", options.node_tokens.has_fleet_token() ? "yes" : "no")});
  shared::HttpServer server(io, router);
  const auto port = server.listen(options.listen);
  shared::log_info("hub.started",
                   {shared::field("listen", options.listen.host + ":" + std::to_string(port)),
                    shared::field("db", options.db.string()),
                    shared::field("nodes", static_cast<long long>(registry.size())),
                    shared::field("version", kVersion)});

  shared::AsioPoll poll(io);
  hub::AvahiDiscovery discovery(poll, registry, poller);
  if (options.discover_avahi) {
    discovery.start();
  }
  std::unique_ptr<shared::ServicePublisher> publisher;
  if (options.advertise) {
    publisher = std::make_unique<shared::ServicePublisher>(
        poll,
        shared::ServiceAdvertisement{
            "WineBot hub", {"_winebot-hub._tcp"}, port, {{"txtvers", "1"}, {"version", kVersion}}});
    publisher->start();
  }
  auto address_sources = make_address_sources(options, io, registry, poller);
  address_sources.start();
  ready = true;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) {
      return;
    }
    shared::log_info("hub.stopping", {shared::field("signal", signal_number)});
    ready = false;
    address_sources.stop();
    server.stop();
    poller.stop();
    discovery.stop();
    if (publisher) {
      publisher->withdraw();
    }
    io.stop();
  });

  io.run();
  store.flush();
  shared::log_info("hub.stopped", {});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  hub::HubOptions options;
  try {
    options = hub::parse_hub_options(argc, argv, shared::process_environment());
  } catch (const shared::ConfigError& error) {
    std::cerr << "winebot-hub: " << error.what() << '\n';
    return 2;
  }
  if (options.help) {
    std::cout << hub::make_hub_option_parser().help_text();
    return 0;
  }
  if (options.version) {
    std::cout << "winebot-hub " << kVersion << '\n';
    return 0;
  }

  try {
    return run(options);
  } catch (const std::exception& error) {
    shared::log_error("hub.failed", {shared::field("error", error.what())});
    return 1;
  }
}

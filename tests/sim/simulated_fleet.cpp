#include "tests/sim/simulated_fleet.hpp"

#include <cstdio>
#include <random>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "shared/http/http_server.hpp"
#include "shared/http/router.hpp"
#include "shared/log/logger.hpp"
#include "shared/mdns/asio_poll.hpp"
#include "shared/mdns/service_publisher.hpp"
#include "tests/sim/simulated_node_routes.hpp"
#include "winebot/version.hpp"

namespace winebot::sim {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::seconds kAdvanceInterval{1};

std::string random_run_id() {
  char text[17];
  std::snprintf(
      text, sizeof text, "%016llx",
      static_cast<unsigned long long>(std::random_device{}()) << 32 | std::random_device{}());
  return text;
}

std::string node_name(std::size_t index) {
  char text[32];
  std::snprintf(text, sizeof text, "sim-node-%04zu", index);
  return text;
}

}  // namespace

std::string stable_node_id(std::uint64_t seed, std::size_t index) {
  std::seed_seq sequence{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                         static_cast<std::uint32_t>(index), 0x5eed1dU};
  std::mt19937_64 random(sequence);
  std::uint64_t high = random();
  std::uint64_t low = random();
  high = (high & ~0xf000ULL) | 0x4000ULL;                       // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 9562 variant
  char text[40];
  std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xffff),
                static_cast<unsigned long long>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

class SimulatedFleet::Impl {
 public:
  Impl(asio::io_context& io, const FleetSimOptions& options)
      : io_(io), options_(options), run_id_(random_run_id()), timer_(io) {
    const auto now = std::chrono::system_clock::now();
    members_.reserve(options.nodes);
    for (std::size_t index = 0; index < options.nodes; ++index) {
      SimulatedNode::Identity identity{index, stable_node_id(options.seed, index), node_name(index),
                                       node_name(index), run_id_};
      auto member = std::make_unique<Member>();
      member->node = std::make_unique<SimulatedNode>(std::move(identity), options.simulation,
                                                     options.seed, now);
      add_simulated_node_routes(
          member->router, *member->node, [] { return std::chrono::system_clock::now(); },
          request_counts_);
      members_.push_back(std::move(member));
    }
  }

  void start() {
    for (std::size_t index = 0; index < members_.size(); ++index) {
      auto& member = *members_[index];
      const std::uint16_t port =
          options_.first_port == 0 ? 0 : static_cast<std::uint16_t>(options_.first_port + index);
      member.server = std::make_unique<shared::HttpServer>(io_, member.router);
      member.node->set_api_port(member.server->listen({options_.bind, port}));
    }
    if (options_.advertise) {
      advertise();
    }
    schedule_advance();
    shared::log_info("sim.started",
                     {shared::field("nodes", members_.size()), shared::field("bind", options_.bind),
                      shared::field("run", run_id_)});
  }

  void stop() {
    timer_.cancel();
    for (auto& member : members_) {
      if (member->publisher) {
        member->publisher->withdraw();
      }
      if (member->server) {
        member->server->stop();
      }
    }
  }

  nlohmann::json ports_json() const {
    auto nodes = nlohmann::json::array();
    for (const auto& member : members_) {
      const auto& identity = member->node->identity();
      nodes.push_back({{"index", identity.index},
                       {"node_id", identity.node_id},
                       {"name", identity.name},
                       {"address", options_.bind},
                       {"port", member->node->api_port()}});
    }
    return {{"run_id", run_id_}, {"nodes", std::move(nodes)}};
  }

  std::string hub_nodes_file() const {
    std::string text = "# winebot-fleet-sim run " + run_id_ + ": " +
                       std::to_string(members_.size()) + " simulated nodes\n";
    for (const auto& member : members_) {
      text += shared::HostPort{options_.bind, member->node->api_port()}.to_string() + "\n";
    }
    return text;
  }

 private:
  struct Member {
    std::unique_ptr<SimulatedNode> node;
    shared::Router router;
    std::unique_ptr<shared::HttpServer> server;
    std::unique_ptr<shared::ServicePublisher> publisher;
  };

  // Publishes each node under its name with the TXT keys the real node sets at start-up.
  // Limitation: the TXT record keeps the recorder state of start-up, while a real node updates it
  // on every change. The hub reads the current state from /state, so only browsers notice.
  void advertise() {
    poll_ = std::make_unique<shared::AsioPoll>(io_);
    for (auto& member : members_) {
      const auto& node = *member->node;
      shared::TxtRecord txt{{"txtvers", "1"},
                            {"node_id", node.identity().node_id},
                            {"version", kVersion},
                            {"api_port", std::to_string(node.api_port())},
                            {"session_id", node.session_id().empty() ? "none" : node.session_id()},
                            {"state", to_string(node.recorder_state())},
                            {"labels", "sim"}};
      member->publisher = std::make_unique<shared::ServicePublisher>(
          *poll_, shared::ServiceAdvertisement{
                      node.identity().name, {"_winebot._tcp"}, node.api_port(), std::move(txt)});
      try {
        member->publisher->start();
      } catch (const std::runtime_error& error) {
        throw std::runtime_error(
            "advertising " + node.identity().name + " failed: " + error.what() +
            ". Each node is one Avahi client and one D-Bus connection, so the bus must allow "
            "that many connections per user and avahi-daemon that many clients, as "
            "scripts/avahi-sandbox.sh configures them.");
      }
    }
  }

  void schedule_advance() {
    timer_.expires_after(kAdvanceInterval);
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) {
        return;
      }
      const auto now = std::chrono::system_clock::now();
      for (auto& member : members_) {
        member->node->advance(now);
      }
      schedule_advance();
    });
  }

  asio::io_context& io_;
  FleetSimOptions options_;
  std::string run_id_;
  asio::steady_timer timer_;
  std::unique_ptr<shared::AsioPoll> poll_;
  RequestCounts request_counts_;  // Shared by every node's routes.
  // Members are never moved once built, because each router's handlers hold its node by
  // reference.
  std::vector<std::unique_ptr<Member>> members_;
};

SimulatedFleet::SimulatedFleet(asio::io_context& io, const FleetSimOptions& options)
    : impl_(std::make_unique<Impl>(io, options)) {}

SimulatedFleet::~SimulatedFleet() = default;

void SimulatedFleet::start() {
  impl_->start();
}

void SimulatedFleet::stop() {
  impl_->stop();
}

nlohmann::json SimulatedFleet::ports_json() const {
  return impl_->ports_json();
}

std::string SimulatedFleet::hub_nodes_file() const {
  return impl_->hub_nodes_file();
}

}  // namespace winebot::sim

#include "tests/sim/fleet_sim_options.hpp"

#include <arpa/inet.h>

#include <array>

#include "shared/config/logging_options.hpp"

namespace winebot::sim {

shared::OptionParser make_fleet_sim_option_parser() {
  shared::OptionParser parser(
      "winebot-fleet-sim",
      "Serves many simulated WineBot nodes from one process, each on its own port, for hub tests "
      "and benchmarks. Each node answers GET /state, /version, /health, /metrics and the event "
      "cursor reads, and its recorder changes state now and then.");
  parser.add({"nodes", "N", "10", "", "Number of simulated nodes, from 1 to 20000."});
  parser.add({"bind", "ADDRESS", "127.0.0.1", "", "IP address every node listens on."});
  parser.add({"first-port", "PORT", "0", "",
              "Port of node 0; node i listens on PORT + i. 0 gives every node an ephemeral "
              "port."});
  parser.add({"ports-file", "FILE", "", "",
              "JSON file written once every node listens: the run id and, per node, index, "
              "node_id, name, address and port. Without it the JSON goes to standard output."});
  parser.add({"nodes-file", "FILE", "", "",
              "Node list for the hub's --nodes-file, one HOST:PORT per line, written once every "
              "node listens."});
  parser.add({"seed", "N", "1", "",
              "Seed of the simulation; the same seed gives the same node ids and names."});
  parser.add({"lifecycle-per-minute", "RATE", "2", "",
              "Mean recorder state changes per node per minute, one lifecycle record each; 0 "
              "keeps every recorder in its first state."});
  parser.add({"telemetry-per-minute", "RATE", "30", "",
              "Mean performance_metric records per node per minute; 0 turns them off."});
  parser.add({"input-per-minute", "RATE", "0", "",
              "Mean input event records per node per minute; 0 turns them off."});
  parser.add({"log-capacity", "N", "10000", "",
              "Records kept per node and stream, from 10 to 1000000; older ones are dropped."});
  parser.add({"advertise", "on|off", "off", "",
              "Whether to publish every node as _winebot._tcp through the Avahi daemon, one "
              "client per node. Use it only with a daemon limited to loopback, such as "
              "scripts/avahi-sandbox.sh starts. The files are written once every node is "
              "registered, which takes minutes for thousands of nodes."});
  shared::add_logging_options(parser);
  return parser;
}

FleetSimOptions parse_fleet_sim_options(int argc, const char* const* argv,
                                        const shared::EnvLookup& env) {
  const auto parsed = make_fleet_sim_option_parser().parse(argc, argv, env);
  FleetSimOptions options;
  options.help = parsed.help_requested();
  options.version = parsed.version_requested();
  if (options.help || options.version) {
    return options;
  }

  options.nodes = static_cast<std::size_t>(parsed.integer("nodes", 1, kMaxNodes));
  options.bind = parsed.text("bind");
  std::array<unsigned char, 16> address{};
  if (inet_pton(AF_INET, options.bind.c_str(), address.data()) != 1 &&
      inet_pton(AF_INET6, options.bind.c_str(), address.data()) != 1) {
    throw shared::ConfigError(
        "Configuration validation failed: --bind must be an IP address (got '" + options.bind +
        "')");
  }
  const auto first_port = parsed.integer("first-port", 0, 65535);
  if (first_port > 0 && first_port + static_cast<long long>(options.nodes) - 1 > 65535) {
    throw shared::ConfigError("Configuration validation failed: --first-port " +
                              std::to_string(first_port) + " leaves no room for " +
                              std::to_string(options.nodes) + " nodes below port 65536");
  }
  options.first_port = static_cast<std::uint16_t>(first_port);
  options.ports_file = parsed.text("ports-file");
  options.nodes_file = parsed.text("nodes-file");
  options.seed = static_cast<std::uint64_t>(parsed.integer("seed", 0, 1LL << 62));

  const auto& advertise = parsed.text("advertise");
  if (advertise != "on" && advertise != "off") {
    throw shared::ConfigError(
        "Configuration validation failed: --advertise must be on or off (got '" + advertise + "')");
  }
  options.advertise = advertise == "on";

  options.simulation.lifecycle_per_minute = parsed.number("lifecycle-per-minute", 0, 60'000);
  options.simulation.telemetry_per_minute = parsed.number("telemetry-per-minute", 0, 60'000);
  options.simulation.input_per_minute = parsed.number("input-per-minute", 0, 60'000);
  options.simulation.log_capacity =
      static_cast<std::size_t>(parsed.integer("log-capacity", 10, 1'000'000));
  shared::read_logging_options(parsed, options.log_level, options.log_format);
  return options;
}

}  // namespace winebot::sim

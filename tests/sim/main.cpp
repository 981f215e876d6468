// winebot-fleet-sim: serves many simulated WineBot nodes from one process for hub tests and
// benchmarks.

#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "shared/log/logger.hpp"
#include "shared/util/files.hpp"
#include "tests/sim/fleet_sim_options.hpp"
#include "tests/sim/simulated_fleet.hpp"
#include "winebot/version.hpp"

namespace {

using namespace winebot;

// Writes the ports file (or prints its JSON) and the hub's node list, each in one rename, so
// that a reader waiting for the file never reads half of it.
void write_outputs(const sim::FleetSimOptions& options, const sim::SimulatedFleet& fleet) {
  const auto ports = fleet.ports_json().dump(2) + "\n";
  if (options.ports_file.empty()) {
    std::cout << ports << std::flush;
  } else {
    shared::write_file_atomically(options.ports_file, ports);
  }
  if (!options.nodes_file.empty()) {
    shared::write_file_atomically(options.nodes_file, fleet.hub_nodes_file());
  }
}

int run(const sim::FleetSimOptions& options) {
  shared::Logger::configure(options.log_level, options.log_format);
  boost::asio::io_context io(1);
  sim::SimulatedFleet fleet(io, options);
  fleet.start();
  write_outputs(options, fleet);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) {
      return;
    }
    shared::log_info("sim.stopping", {shared::field("signal", signal_number)});
    fleet.stop();
    io.stop();
  });
  io.run();
  shared::log_info("sim.stopped", {});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sim::FleetSimOptions options;
  try {
    options = sim::parse_fleet_sim_options(argc, argv, shared::process_environment());
  } catch (const shared::ConfigError& error) {
    std::cerr << "winebot-fleet-sim: " << error.what() << '\n';
    return 2;
  }
  if (options.help) {
    std::cout << sim::make_fleet_sim_option_parser().help_text();
    return 0;
  }
  if (options.version) {
    std::cout << "winebot-fleet-sim " << kVersion << '\n';
    return 0;
  }

  try {
    return run(options);
  } catch (const std::exception& error) {
    shared::log_error("sim.failed", {shared::field("error", error.what())});
    return 1;
  }
}

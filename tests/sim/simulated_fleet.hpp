#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/sim/fleet_sim_options.hpp"

namespace boost::asio {
class io_context;
}

namespace winebot::sim {

// Returns a version 4 UUID drawn from `seed` and `index`, so that a node keeps its id across runs
// of the simulator with the same seed.
std::string stable_node_id(std::uint64_t seed, std::size_t index);

// Every simulated node of one process: its HTTP server on its own port, a timer that advances all
// nodes once a second so that their counters move between requests, and optionally
// one mDNS publisher per node.
//
// Threading: belongs to the io_context's thread, which must be the only one running it.
class SimulatedFleet {
 public:
  SimulatedFleet(boost::asio::io_context& io, const FleetSimOptions& options);
  ~SimulatedFleet();
  SimulatedFleet(const SimulatedFleet&) = delete;
  SimulatedFleet& operator=(const SimulatedFleet&) = delete;

  // Binds every node's port and starts the timer and the publishers. Throws std::system_error
  // naming the address when a port cannot be bound.
  void start();
  // Closes every listening socket and connection and withdraws the advertisements.
  void stop();

  // {"run_id": ..., "nodes": [{"index", "node_id", "name", "address", "port"}]}.
  nlohmann::json ports_json() const;
  // The node list in the format of the hub's --nodes-file.
  std::string hub_nodes_file() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winebot::sim

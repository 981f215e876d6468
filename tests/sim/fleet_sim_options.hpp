#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "shared/config/option_parser.hpp"
#include "shared/log/logger.hpp"
#include "tests/sim/simulated_node.hpp"

namespace winebot::sim {

// Largest --nodes: each node takes a listening socket, and the hub one more connection each.
inline constexpr long long kMaxNodes = 20'000;

struct FleetSimOptions {
  bool help = false;
  bool version = false;
  std::size_t nodes = 10;
  std::string bind = "127.0.0.1";
  std::uint16_t first_port = 0;  // 0: every node gets an ephemeral port.
  std::filesystem::path ports_file;
  std::filesystem::path nodes_file;
  std::uint64_t seed = 1;
  bool advertise = false;
  SimulationSettings simulation;
  shared::LogLevel log_level = shared::LogLevel::kInfo;
  shared::LogFormat log_format = shared::LogFormat::kText;
};

shared::OptionParser make_fleet_sim_option_parser();

// Parses the command line. Throws shared::ConfigError naming the flag on invalid input.
FleetSimOptions parse_fleet_sim_options(int argc, const char* const* argv,
                                        const shared::EnvLookup& env);

}  // namespace winebot::sim

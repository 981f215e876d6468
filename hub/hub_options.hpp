#pragma once

#include <chrono>
#include <filesystem>

#include "shared/config/host_port.hpp"
#include "shared/config/option_parser.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {

struct HubOptions {
  shared::HostPort listen;
  std::filesystem::path db;
  std::filesystem::path web_root;
  bool discover_avahi = true;
  bool advertise = true;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds events_interval{5000};
  shared::LogLevel log_level = shared::LogLevel::kInfo;
  shared::LogFormat log_format = shared::LogFormat::kText;
  bool help = false;
  bool version = false;
};

shared::OptionParser make_hub_option_parser();

// Parses flags and environment. Throws shared::ConfigError naming the flag or variable.
HubOptions parse_hub_options(int argc, const char* const* argv, const shared::EnvLookup& env);

}  // namespace winebot::hub

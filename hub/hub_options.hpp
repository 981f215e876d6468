#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hub/auth/node_tokens.hpp"
#include "hub/store/retention.hpp"
#include "shared/config/host_port.hpp"
#include "shared/config/option_parser.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {

struct HubOptions {
  shared::HostPort listen;
  std::filesystem::path db;
  std::filesystem::path web_root;
  bool discover_avahi = true;
  std::vector<std::string> srv_names;  // One DNS SRV discovery source per name.
  // Nodes from --node and --nodes-file; a non-empty list starts the static discovery source.
  std::vector<shared::HostPort> static_nodes;
  // Time between two rounds of SRV queries, and between two lookups of static host names.
  std::chrono::milliseconds srv_interval{5000};
  std::optional<shared::HostPort> dns_server;  // Unset: the system's, from /etc/resolv.conf.
  bool advertise = true;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds events_interval{5000};
  std::chrono::milliseconds sample_interval{10000};
  RetentionSettings retention;
  double recording_cpu_cores = 0.1;  // An estimate, for the fleet summary's CPU saved.
  // Tokens sent to nodes as X-API-Key: --node-token, --node-tokens-file, WINEBOT_HUB_NODE_TOKEN.
  NodeTokens node_tokens;
  // WINEBOT_HUB_ADMIN_TOKEN; empty means node actions are rejected with 403.
  std::string admin_token;
  shared::LogLevel log_level = shared::LogLevel::kInfo;
  shared::LogFormat log_format = shared::LogFormat::kText;
  bool help = false;
  bool version = false;
};

shared::OptionParser make_hub_option_parser();

// Parses flags and environment. Throws shared::ConfigError naming the flag or variable.
HubOptions parse_hub_options(int argc, const char* const* argv, const shared::EnvLookup& env);

}  // namespace winebot::hub

#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "node/telemetry/telemetry_settings.hpp"
#include "shared/config/host_port.hpp"
#include "shared/config/option_parser.hpp"
#include "shared/log/logger.hpp"

namespace winebot::node {

struct NodeOptions {
  shared::HostPort listen;
  std::filesystem::path state_dir;
  std::string name;                 // Instance name to advertise; valid UTF-8.
  std::vector<std::string> labels;  // Advertised in TXT `labels`, comma-separated.
  // Session folder to serve when the recorder has none; unset means WineBot's pointer file.
  std::optional<std::filesystem::path> session_dir;
  // Folder under which the recorder creates session folders.
  std::filesystem::path session_root;
  // Recording defaults for a start request that names none: X display, encoded size (empty means
  // the display's own size) and frame rate.
  std::string display = ":99";
  std::string resolution;
  int fps = 30;
  bool advertise = true;
  std::optional<std::uint16_t> advertise_port;  // When a published container port differs.
  // How long a stopping node keeps serving requests after withdrawing its service.
  std::chrono::milliseconds stop_grace{1500};
  TelemetrySettings telemetry;
  std::size_t max_events_query = 2000;  // WINEBOT_MAX_EVENTS_QUERY: largest `limit` allowed.
  shared::LogLevel log_level = shared::LogLevel::kInfo;
  shared::LogFormat log_format = shared::LogFormat::kText;
  bool help = false;
  bool version = false;
};

shared::OptionParser make_node_option_parser();

// Parses flags and environment. Throws shared::ConfigError naming the flag or variable.
NodeOptions parse_node_options(int argc, const char* const* argv, const shared::EnvLookup& env);

}  // namespace winebot::node

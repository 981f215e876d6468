#pragma once

#include "shared/config/option_parser.hpp"
#include "shared/log/logger.hpp"

namespace winebot::shared {

// Adds --log-level (WINEBOT_LOG_LEVEL) and --log-format (WINEBOT_LOG_FORMAT), which both
// programs take.
void add_logging_options(OptionParser& parser);

// Reads them; throws ConfigError naming the flag or variable for a value it does not know.
void read_logging_options(const ParsedOptions& parsed, LogLevel& level, LogFormat& format);

}  // namespace winebot::shared

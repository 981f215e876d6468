#include "shared/config/logging_options.hpp"

namespace winebot::shared {

void add_logging_options(OptionParser& parser) {
  parser.add({"log-level", "LEVEL", "info", "WINEBOT_LOG_LEVEL", "debug, info, warn or error."});
  parser.add({"log-format", "FORMAT", "text", "WINEBOT_LOG_FORMAT",
              "text (event key=value) or json (one object per line)."});
}

void read_logging_options(const ParsedOptions& parsed, LogLevel& level, LogFormat& format) {
  if (!parse_log_level(parsed.text("log-level"), level)) {
    throw ConfigError("Configuration validation failed: " + parsed.origin("log-level") +
                      " must be debug, info, warn or error (got '" + parsed.text("log-level") +
                      "')");
  }
  if (!parse_log_format(parsed.text("log-format"), format)) {
    throw ConfigError("Configuration validation failed: " + parsed.origin("log-format") +
                      " must be text or json (got '" + parsed.text("log-format") + "')");
  }
}

}  // namespace winebot::shared

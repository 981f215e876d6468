#include "hub/hub_options.hpp"

#include <sstream>

namespace winebot::hub {

shared::OptionParser make_hub_option_parser() {
  shared::OptionParser parser(
      "winebot-hub",
      "Discovers WineBot nodes, probes them, keeps their state in SQLite and serves the REST API "
      "and the dashboard.");
  parser.add({"listen", "HOST:PORT", "0.0.0.0:8080", "WINEBOT_HUB_LISTEN",
              "Address and port of the API and dashboard; port 0 picks a free one."});
  parser.add({"db", "FILE", "./winebot-hub.db", "WINEBOT_HUB_DB", "SQLite database file."});
  parser.add({"web-root", "DIR", WINEBOT_DEFAULT_WEB_ROOT, "WINEBOT_HUB_WEB_ROOT",
              "Folder of the dashboard's files."});
  parser.add({"discovery", "LIST", "avahi", "WINEBOT_HUB_DISCOVERY",
              "Comma-separated discovery sources: avahi (mDNS through the Avahi daemon) or none."});
  parser.add({"advertise", "on|off", "on", "WINEBOT_HUB_ADVERTISE",
              "Whether to publish the hub itself as _winebot-hub._tcp."});
  parser.add({"poll-interval", "SECONDS", "1", "WINEBOT_HUB_POLL_INTERVAL",
              "Time between two probes of one node's GET /state, from 0.1 to 3600."});
  parser.add({"events-interval", "SECONDS", "5", "WINEBOT_HUB_EVENTS_INTERVAL",
              "Time between two reads of one node's event logs, from 0.1 to 3600; 0 turns event "
              "ingest off."});
  parser.add({"log-level", "LEVEL", "info", "WINEBOT_LOG_LEVEL", "debug, info, warn or error."});
  parser.add({"log-format", "FORMAT", "text", "WINEBOT_LOG_FORMAT",
              "text (event key=value) or json (one object per line)."});
  return parser;
}

HubOptions parse_hub_options(int argc, const char* const* argv, const shared::EnvLookup& env) {
  const auto parsed = make_hub_option_parser().parse(argc, argv, env);
  HubOptions options;
  options.help = parsed.help_requested();
  options.version = parsed.version_requested();
  if (options.help || options.version) {
    return options;
  }

  const auto listen = shared::parse_host_port(parsed.text("listen"));
  if (!listen) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("listen") +
                              " must be HOST:PORT, for example 0.0.0.0:8080 (got '" +
                              parsed.text("listen") + "')");
  }
  options.listen = *listen;
  options.db = parsed.text("db");
  options.web_root = parsed.text("web-root");

  options.discover_avahi = false;
  std::stringstream sources(parsed.text("discovery"));
  std::string source;
  while (std::getline(sources, source, ',')) {
    if (source == "avahi") {
      options.discover_avahi = true;
    } else if (source != "none" && !source.empty()) {
      throw shared::ConfigError("Configuration validation failed: " + parsed.origin("discovery") +
                                " must list avahi or none (got '" + source + "')");
    }
  }

  const auto& advertise = parsed.text("advertise");
  if (advertise != "on" && advertise != "off") {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("advertise") +
                              " must be on or off (got '" + advertise + "')");
  }
  options.advertise = advertise == "on";

  const double events_seconds = parsed.number("events-interval", 0, 3600);
  if (events_seconds > 0 && events_seconds < 0.1) {
    throw shared::ConfigError(
        "Configuration validation failed: " + parsed.origin("events-interval") +
        " must be 0 or from 0.1 to 3600 (got '" + parsed.text("events-interval") + "')");
  }
  options.events_interval =
      std::chrono::milliseconds(static_cast<long long>(events_seconds * 1000));
  const double interval_seconds = parsed.number("poll-interval", 0.1, 3600);
  options.poll_interval =
      std::chrono::milliseconds(static_cast<long long>(interval_seconds * 1000));

  if (!shared::parse_log_level(parsed.text("log-level"), options.log_level)) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("log-level") +
                              " must be debug, info, warn or error (got '" +
                              parsed.text("log-level") + "')");
  }
  if (!shared::parse_log_format(parsed.text("log-format"), options.log_format)) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("log-format") +
                              " must be text or json (got '" + parsed.text("log-format") + "')");
  }
  return options;
}

}  // namespace winebot::hub

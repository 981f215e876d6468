#include "node/node_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "shared/config/logging_options.hpp"
#include "shared/mdns/service_name.hpp"

namespace winebot::node {
namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name;
}

// Root keeps state with the system; anyone else under their home, as the XDG spec suggests.
std::string default_state_dir(const shared::EnvLookup& env) {
  if (geteuid() == 0) {
    return "/var/lib/winebot-node";
  }
  if (const auto state_home = env("XDG_STATE_HOME"); state_home && !state_home->empty()) {
    return *state_home + "/winebot-node";
  }
  const auto home = env("HOME");
  return (home && !home->empty() ? *home : std::string(".")) + "/.local/state/winebot-node";
}

}  // namespace

shared::OptionParser make_node_option_parser() {
  shared::OptionParser parser(
      "winebot-node",
      "Serves one WineBot container's HTTP API and advertises it as _winebot._tcp over mDNS.");
  parser.add({"listen", "HOST:PORT", "0.0.0.0:8000", "",
              "Address and port of the HTTP API; port 0 picks a free one. API_PORT sets the port "
              "when this flag is absent."});
  parser.add({"state-dir", "DIR", "", "WINEBOT_STATE_DIR",
              "Folder for the node's own state, such as its id. Default: /var/lib/winebot-node "
              "for root, else $XDG_STATE_HOME/winebot-node or ~/.local/state/winebot-node."});
  parser.add({"session-dir", "DIR", "", "WINEBOT_SESSION_DIR",
              "Session folder whose logs to serve while the recorder has not started one. "
              "Default: the folder named in /tmp/winebot_current_session."});
  parser.add({"session-root", "DIR", "/artifacts/sessions", "WINEBOT_SESSION_ROOT",
              "Folder under which the recorder creates session folders."});
  parser.add({"display", ":N", ":99", "DISPLAY",
              "X display the recorder captures when a start request names none."});
  parser.add({"resolution", "WxH", "", "SCREEN",
              "Size the recorder encodes to when a start request names none; a third field "
              "(WxHxDEPTH) is ignored. Default: the display's own size."});
  parser.add({"fps", "N", "30", "",
              "Frame rate the recorder uses when a start request names none; 1 to 120."});
  parser.add({"name", "NAME", "", "WINEBOT_NODE_NAME",
              "mDNS instance name, UTF-8, cut to 63 bytes. Default: \"WineBot on HOSTNAME\"."});
  parser.add({"label", "NAME", "", "WINEBOT_NODE_LABELS",
              "A label for hubs to filter on (letters, digits, '.', '_', '-'; at most 32 "
              "characters); repeat the flag, or list them comma-separated in the variable.",
              true});
  parser.add({"advertise", "on|off", "on", "WINEBOT_ADVERTISE",
              "Whether to publish the node through the Avahi daemon."});
  parser.add({"advertise-port", "PORT", "", "WINEBOT_ADVERTISE_PORT",
              "Port to advertise instead of the listening one, for a container behind a "
              "published port."});
  parser.add({"stop-grace", "SECONDS", "1.5", "WINEBOT_STOP_GRACE_SECONDS",
              "After SIGTERM or SIGINT, how long the node keeps answering, with stopping=true in "
              "/state, after withdrawing its service, so that hubs see a clean stop; 0 to 60. A "
              "second signal ends it early."});
  shared::add_logging_options(parser);
  return parser;
}

namespace {

// Labels travel in one TXT value, which RFC 6763 limits to 255 bytes with its key.
constexpr std::size_t kMaxLabelLength = 32;
constexpr std::size_t kMaxLabels = 7;

std::vector<std::string> parse_labels(const shared::ParsedOptions& parsed) {
  std::vector<std::string> labels;
  for (const auto& label : parsed.all("label")) {
    const bool valid_characters =
        std::all_of(label.begin(), label.end(), [](unsigned char character) {
          return std::isalnum(character) || character == '.' || character == '_' ||
                 character == '-';
        });
    if (label.empty() || label.size() > kMaxLabelLength || !valid_characters) {
      throw shared::ConfigError("Configuration validation failed: " + parsed.origin("label") +
                                " must be letters, digits, '.', '_' or '-', 1 to 32 characters "
                                "(got '" +
                                label + "')");
    }
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
      labels.push_back(label);
    }
  }
  if (labels.size() > kMaxLabels) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("label") +
                              " gives more than 7 labels");
  }
  return labels;
}

}  // namespace

NodeOptions parse_node_options(int argc, const char* const* argv, const shared::EnvLookup& env) {
  const auto parsed = make_node_option_parser().parse(argc, argv, env);
  NodeOptions options;
  options.help = parsed.help_requested();
  options.version = parsed.version_requested();
  if (options.help || options.version) {
    return options;
  }

  const auto listen = shared::parse_host_port(parsed.text("listen"));
  if (!listen) {
    throw shared::ConfigError(
        "Configuration validation failed: --listen must be HOST:PORT, "
        "for example 0.0.0.0:8000 or [::]:8000 (got '" +
        parsed.text("listen") + "')");
  }
  options.listen = *listen;
  if (!parsed.is_set("listen")) {
    if (const auto api_port = env("API_PORT"); api_port && !api_port->empty()) {
      const auto port = shared::parse_integer(*api_port);
      if (!port || *port < 0 || *port > 65535) {
        throw shared::ConfigError(
            "Configuration validation failed: API_PORT must be an integer from 0 to 65535 (got '" +
            *api_port + "')");
      }
      options.listen.port = static_cast<std::uint16_t>(*port);
    }
  }

  options.state_dir =
      parsed.is_set("state-dir") ? parsed.text("state-dir") : default_state_dir(env);
  if (parsed.is_set("session-dir")) {
    options.session_dir = parsed.text("session-dir");
  }
  options.session_root = parsed.text("session-root");
  options.display = parsed.text("display");
  options.resolution = parsed.text("resolution");
  options.fps = static_cast<int>(parsed.integer("fps", 1, 120));
  options.name = parsed.is_set("name") ? parsed.text("name") : "WineBot on " + host_name();
  if (options.name.empty()) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("name") +
                              " must not be empty");
  }
  if (!shared::is_valid_utf8(options.name)) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("name") +
                              " must be valid UTF-8");
  }

  options.labels = parse_labels(parsed);

  const auto& advertise = parsed.text("advertise");
  if (advertise != "on" && advertise != "off") {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("advertise") +
                              " must be on or off (got '" + advertise + "')");
  }
  options.advertise = advertise == "on";
  if (parsed.is_set("advertise-port")) {
    options.advertise_port = static_cast<std::uint16_t>(parsed.integer("advertise-port", 1, 65535));
  }

  options.stop_grace =
      std::chrono::milliseconds(static_cast<long long>(parsed.number("stop-grace", 0, 60) * 1000));

  options.telemetry = read_telemetry_settings(env);
  if (const auto max_events = env("WINEBOT_MAX_EVENTS_QUERY"); max_events && !max_events->empty()) {
    const auto value = shared::parse_integer(*max_events);
    if (!value || *value < 1) {
      throw shared::ConfigError(
          "Configuration validation failed: WINEBOT_MAX_EVENTS_QUERY must be an integer of at "
          "least 1 (got '" +
          *max_events + "')");
    }
    options.max_events_query = static_cast<std::size_t>(*value);
  }

  shared::read_logging_options(parsed, options.log_level, options.log_format);
  return options;
}

}  // namespace winebot::node

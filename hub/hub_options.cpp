#include "hub/hub_options.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <boost/asio/ip/address.hpp>

#include "hub/discovery/static_discovery.hpp"
#include "shared/config/logging_options.hpp"

namespace winebot::hub {

shared::OptionParser make_hub_option_parser() {
  shared::OptionParser parser(
      "winebot-hub",
      "Discovers WineBot nodes, probes them, keeps their state in SQLite and serves the REST API "
      "and the dashboard. Node actions need an admin token in WINEBOT_HUB_ADMIN_TOKEN (at least "
      "16 characters); WINEBOT_HUB_NODE_TOKEN sets the API token sent to nodes without their own "
      "--node-token.");
  parser.add({"listen", "HOST:PORT", "0.0.0.0:8080", "WINEBOT_HUB_LISTEN",
              "Address and port of the API and dashboard; port 0 picks a free one."});
  parser.add({"db", "FILE", "./winebot-hub.db", "WINEBOT_HUB_DB", "SQLite database file."});
  parser.add({"web-root", "DIR", WINEBOT_DEFAULT_WEB_ROOT, "WINEBOT_HUB_WEB_ROOT",
              "Folder of the dashboard's files."});
  parser.add(
      {"discovery", "LIST", "avahi", "WINEBOT_HUB_DISCOVERY",
       "Comma-separated discovery sources: avahi (mDNS through the Avahi daemon), "
       "srv:NAME (DNS SRV records of NAME, e.g. "
       "srv:_winebot._tcp.winebot-nodes.default.svc.cluster.local), static (the nodes of "
       "--node and --nodes-file) or none. --node and --nodes-file add static on their own."});
  parser.add({"node", "HOST:PORT", "", "WINEBOT_HUB_NODES",
              "A node to probe without discovery. The variable takes a "
              "comma-separated list.",
              true});
  parser.add({"nodes-file", "FILE", "", "WINEBOT_HUB_NODES_FILE",
              "File of nodes to probe, one HOST:PORT per line; # starts a comment. Read once at "
              "start-up."});
  parser.add({"srv-interval", "SECONDS", "5", "WINEBOT_HUB_SRV_INTERVAL",
              "Time between two queries of each SRV name, and between two lookups of the host "
              "names of static nodes, from 0.1 to 3600."});
  parser.add({"dns-server", "HOST:PORT", "system", "WINEBOT_HUB_DNS_SERVER",
              "IP address and port of the DNS server for SRV discovery; system takes the first "
              "nameserver of /etc/resolv.conf."});
  parser.add({"advertise", "on|off", "on", "WINEBOT_HUB_ADVERTISE",
              "Whether to publish the hub itself as _winebot-hub._tcp."});
  parser.add({"poll-interval", "SECONDS", "1", "WINEBOT_HUB_POLL_INTERVAL",
              "Time between two probes of one node's GET /state, from 0.1 to 3600."});
  parser.add({"events-interval", "SECONDS", "5", "WINEBOT_HUB_EVENTS_INTERVAL",
              "Time between two reads of one node's event logs, from 0.1 to 3600; 0 turns event "
              "ingest off."});
  parser.add({"sample-interval", "SECONDS", "10", "WINEBOT_HUB_SAMPLE_INTERVAL",
              "Time between two stored state samples of one node, from 1 to 3600; a change of "
              "the node's state or recorder state is stored at once."});
  parser.add({"retention-days", "DAYS", "7", "WINEBOT_HUB_RETENTION_DAYS",
              "Age after which events, state samples and minute rollups are deleted, from 0.01 "
              "to 3650."});
  parser.add({"rollup-retention-days", "DAYS", "90", "WINEBOT_HUB_ROLLUP_RETENTION_DAYS",
              "Age after which hour rollups are deleted, from 0.01 to 3650."});
  parser.add({"db-max-mb", "MEGABYTES", "0", "WINEBOT_HUB_DB_MAX_MB",
              "Size budget of the database's used pages in MiB; above it the oldest events, "
              "then samples, then rollups are deleted whatever their age. 0 sets no budget."});
  parser.add({"recording-cpu-cores", "CORES", "0.1", "WINEBOT_HUB_RECORDING_CPU_CORES",
              "Estimated CPU cores one node's recorder uses while recording, from 0 to 64; "
              "the fleet summary multiplies it by the time paused for inactivity to estimate "
              "the CPU time saved."});
  parser.add({"node-token", "NODE_ID=TOKEN", "", "",
              "API token to send as X-API-Key to one node. Other users can read it in the process "
              "list, so prefer --node-tokens-file. Wins over the file for the same node.",
              true});
  parser.add({"node-tokens-file", "FILE", "", "WINEBOT_HUB_NODE_TOKENS_FILE",
              "File of node tokens, one NODE_ID=TOKEN per line; # starts a comment line. Read "
              "once at start-up."});
  shared::add_logging_options(parser);
  return parser;
}

namespace {

// Fills the Avahi and SRV sources from --discovery; returns whether it lists "static".
bool parse_discovery_sources(const shared::ParsedOptions& parsed, HubOptions& options) {
  constexpr std::string_view kSrvPrefix = "srv:";
  options.discover_avahi = false;
  bool static_listed = false;
  std::stringstream sources(parsed.text("discovery"));
  std::string source;
  while (std::getline(sources, source, ',')) {
    if (source == "avahi") {
      options.discover_avahi = true;
    } else if (source == "static") {
      static_listed = true;
    } else if (source.starts_with(kSrvPrefix) && source.size() > kSrvPrefix.size()) {
      options.srv_names.push_back(source.substr(kSrvPrefix.size()));
    } else if (source != "none" && !source.empty()) {
      throw shared::ConfigError("Configuration validation failed: " + parsed.origin("discovery") +
                                " must list avahi, srv:NAME, static or none (got '" + source +
                                "')");
    }
  }
  return static_listed;
}

void parse_static_nodes(const shared::ParsedOptions& parsed, HubOptions& options) {
  for (const auto& value : parsed.all("node")) {
    if (!value.empty()) {
      options.static_nodes.push_back(parse_node_address(value, parsed.origin("node")));
    }
  }
  const auto& path = parsed.text("nodes-file");
  if (path.empty()) {
    return;
  }
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("nodes-file") +
                              " names a file that cannot be read: " + path);
  }
  for (auto& node : parse_node_list(text.str(), parsed.origin("nodes-file") + " " + path)) {
    options.static_nodes.push_back(std::move(node));
  }
}

void parse_dns_options(const shared::ParsedOptions& parsed, HubOptions& options) {
  const double interval_seconds = parsed.number("srv-interval", 0.1, 3600);
  options.srv_interval = std::chrono::milliseconds(static_cast<long long>(interval_seconds * 1000));

  const auto& server = parsed.text("dns-server");
  if (server == "system") {
    return;
  }
  const auto host_port = shared::parse_host_port(server);
  boost::system::error_code error;
  if (host_port) {
    boost::asio::ip::make_address(host_port->host, error);
  }
  if (!host_port || error || host_port->port == 0) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("dns-server") +
                              " must be system or an IP address and port, for example "
                              "127.0.0.1:5353 or [::1]:53 (got '" +
                              server + "')");
  }
  options.dns_server = host_port;
}

void parse_node_tokens(const shared::ParsedOptions& parsed, const shared::EnvLookup& env,
                       HubOptions& options) {
  constexpr const char* kFleetTokenVariable = "WINEBOT_HUB_NODE_TOKEN";
  if (const auto fleet = shared::environment_value(env, kFleetTokenVariable)) {
    if (const auto problem = token_problem(*fleet); !problem.empty()) {
      throw shared::ConfigError(
          "Configuration validation failed: " + std::string(kFleetTokenVariable) + " " + problem);
    }
    options.node_tokens.set_fleet_token(*fleet);
  }

  if (const auto& path = parsed.text("node-tokens-file"); !path.empty()) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    if (!file) {
      throw shared::ConfigError(
          "Configuration validation failed: " + parsed.origin("node-tokens-file") +
          " names a file that cannot be read: " + path);
    }
    parse_node_tokens_file(text.str(), path, options.node_tokens);
  }

  std::map<std::string, bool> flagged_ids;
  for (const auto& value : parsed.all("node-token")) {
    auto [node_id, token] = parse_node_token(value, parsed.origin("node-token"));
    if (flagged_ids[node_id]) {
      throw shared::ConfigError("Configuration validation failed: " + parsed.origin("node-token") +
                                " repeats node id " + node_id);
    }
    flagged_ids[node_id] = true;
    options.node_tokens.set(std::move(node_id), std::move(token));
  }
}

void parse_admin_token(const shared::EnvLookup& env, HubOptions& options) {
  constexpr const char* kAdminTokenVariable = "WINEBOT_HUB_ADMIN_TOKEN";
  constexpr std::size_t kMinAdminTokenLength = 16;
  const auto token = shared::environment_value(env, kAdminTokenVariable);
  if (!token) {
    return;
  }
  auto problem = token_problem(*token);
  if (problem.empty() && token->size() < kMinAdminTokenLength) {
    problem = "is shorter than " + std::to_string(kMinAdminTokenLength) +
              " characters; generate one with: openssl rand -hex 32";
  }
  if (!problem.empty()) {
    throw shared::ConfigError(
        "Configuration validation failed: " + std::string(kAdminTokenVariable) + " " + problem);
  }
  options.admin_token = *token;
}

void parse_store_options(const shared::ParsedOptions& parsed, HubOptions& options) {
  using std::chrono::milliseconds;
  constexpr double kDayMs = 24.0 * 3600 * 1000;
  options.sample_interval =
      milliseconds(static_cast<long long>(parsed.number("sample-interval", 1, 3600) * 1000));
  options.retention.raw_age =
      milliseconds(static_cast<long long>(parsed.number("retention-days", 0.01, 3650) * kDayMs));
  options.retention.rollup_age = milliseconds(
      static_cast<long long>(parsed.number("rollup-retention-days", 0.01, 3650) * kDayMs));
  options.retention.max_bytes =
      static_cast<std::int64_t>(parsed.number("db-max-mb", 0, 1e9) * 1024 * 1024);
  options.recording_cpu_cores = parsed.number("recording-cpu-cores", 0, 64);
}

}  // namespace

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

  const bool static_listed = parse_discovery_sources(parsed, options);
  parse_static_nodes(parsed, options);
  if (static_listed && options.static_nodes.empty()) {
    throw shared::ConfigError("Configuration validation failed: " + parsed.origin("discovery") +
                              " lists static, but no node was given with --node or --nodes-file");
  }
  parse_dns_options(parsed, options);

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

  parse_store_options(parsed, options);
  parse_node_tokens(parsed, env, options);
  parse_admin_token(env, options);
  shared::read_logging_options(parsed, options.log_level, options.log_format);
  return options;
}

}  // namespace winebot::hub

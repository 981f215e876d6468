#include "node/node_options.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace {

using winebot::node::NodeOptions;
using winebot::node::parse_node_options;
using winebot::shared::ConfigError;
using winebot::shared::LogFormat;
using winebot::shared::LogLevel;

using Environment = std::map<std::string, std::string>;

NodeOptions parse(std::vector<std::string> arguments, Environment variables = {}) {
  std::vector<const char*> argv = {"winebot-node"};
  for (const auto& argument : arguments) {
    argv.push_back(argument.c_str());
  }
  const auto env = [&variables](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) {
      return std::nullopt;
    }
    return it->second;
  };
  return parse_node_options(static_cast<int>(argv.size()), argv.data(), env);
}

// Returns the ConfigError message for `arguments`, or "" when parsing succeeds.
std::string parse_error(std::vector<std::string> arguments, Environment variables = {}) {
  try {
    parse(std::move(arguments), std::move(variables));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("NodeOptions listens on 0.0.0.0:8000 by default", "[config]") {
  const auto options = parse({});

  REQUIRE(options.listen.host == "0.0.0.0");
  REQUIRE(options.listen.port == 8000);
}

TEST_CASE("NodeOptions takes the port from API_PORT", "[config]") {
  const auto options = parse({}, {{"API_PORT", "9000"}});

  REQUIRE(options.listen.host == "0.0.0.0");
  REQUIRE(options.listen.port == 9000);
}

TEST_CASE("NodeOptions lets --listen win over API_PORT", "[config]") {
  const auto options = parse({"--listen", "127.0.0.1:7000"}, {{"API_PORT", "9000"}});

  REQUIRE(options.listen.host == "127.0.0.1");
  REQUIRE(options.listen.port == 7000);
}

TEST_CASE("NodeOptions rejects an invalid API_PORT", "[config]") {
  for (const std::string value : {"abc", "65536", "-1", "80.5"}) {
    INFO("API_PORT=" << value);
    const std::string message = parse_error({}, {{"API_PORT", value}});
    REQUIRE_THAT(message, Catch::Contains("API_PORT"));
    REQUIRE_THAT(message, Catch::Contains("must be an integer"));
  }
}

TEST_CASE("NodeOptions reads a bracketed IPv6 --listen", "[config]") {
  const auto options = parse({"--listen", "[::1]:80"});

  REQUIRE(options.listen.host == "::1");
  REQUIRE(options.listen.port == 80);
}

TEST_CASE("NodeOptions reads --listen without a host", "[config]") {
  const auto options = parse({"--listen", ":8000"});

  REQUIRE(options.listen.host == "0.0.0.0");
  REQUIRE(options.listen.port == 8000);
}

TEST_CASE("NodeOptions rejects an invalid --listen", "[config]") {
  for (const std::string value : {"127.0.0.1", "127.0.0.1:65536", "::1:80", "[::1]"}) {
    INFO("--listen " << value);
    const std::string message = parse_error({"--listen", value});
    REQUIRE_THAT(message, Catch::Contains("--listen"));
    REQUIRE_THAT(message, Catch::Contains("'" + value + "'"));
  }
}

TEST_CASE("NodeOptions rejects a --name of invalid UTF-8", "[config]") {
  const std::string message = parse_error({"--name", "node \xc3"});

  REQUIRE_THAT(message, Catch::Contains("--name"));
  REQUIRE_THAT(message, Catch::Contains("UTF-8"));
}

TEST_CASE("NodeOptions names WINEBOT_NODE_NAME for invalid UTF-8", "[config]") {
  const std::string message = parse_error({}, {{"WINEBOT_NODE_NAME", "\xed\xa0\x80"}});

  REQUIRE_THAT(message, Catch::Contains("WINEBOT_NODE_NAME"));
}

TEST_CASE("NodeOptions rejects an empty --name", "[config]") {
  REQUIRE_THAT(parse_error({"--name="}), Catch::Contains("--name"));
}

TEST_CASE("NodeOptions keeps a UTF-8 --name", "[config]") {
  REQUIRE(parse({"--name", "Caf\xc3\xa9 \xf0\x9f\x8d\xb7"}).name == "Caf\xc3\xa9 \xf0\x9f\x8d\xb7");
}

TEST_CASE("NodeOptions names the node after the host by default", "[config]") {
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof host - 1) == 0);

  REQUIRE(parse({}).name == std::string("WineBot on ") + host);
}

TEST_CASE("NodeOptions rejects a bad --log-level", "[config]") {
  const std::string message = parse_error({"--log-level", "loud"});

  REQUIRE_THAT(message, Catch::Contains("--log-level"));
  REQUIRE_THAT(message, Catch::Contains("'loud'"));
}

TEST_CASE("NodeOptions names WINEBOT_LOG_LEVEL for a bad level", "[config]") {
  REQUIRE_THAT(parse_error({}, {{"WINEBOT_LOG_LEVEL", "verbose"}}),
               Catch::Contains("WINEBOT_LOG_LEVEL"));
}

TEST_CASE("NodeOptions reads log level and format", "[config]") {
  const auto options = parse({"--log-level", "debug", "--log-format", "json"});

  REQUIRE(options.log_level == LogLevel::kDebug);
  REQUIRE(options.log_format == LogFormat::kJson);
}

TEST_CASE("NodeOptions rejects a bad --log-format", "[config]") {
  REQUIRE_THAT(parse_error({"--log-format", "xml"}), Catch::Contains("--log-format"));
}

TEST_CASE("NodeOptions rejects --advertise other than on or off", "[config]") {
  REQUIRE_THAT(parse_error({"--advertise", "yes"}), Catch::Contains("--advertise"));
  REQUIRE_FALSE(parse({"--advertise", "off"}).advertise);
}

TEST_CASE("NodeOptions rejects --advertise-port 0", "[config]") {
  const std::string message = parse_error({"--advertise-port", "0"});

  REQUIRE_THAT(message, Catch::Contains("--advertise-port"));
  REQUIRE_THAT(message, Catch::Contains("must be an integer"));
}

TEST_CASE("NodeOptions names WINEBOT_ADVERTISE_PORT for a bad port", "[config]") {
  REQUIRE_THAT(parse_error({}, {{"WINEBOT_ADVERTISE_PORT", "http"}}),
               Catch::Contains("WINEBOT_ADVERTISE_PORT"));
}

TEST_CASE("NodeOptions reads --advertise-port", "[config]") {
  REQUIRE(parse({"--advertise-port", "18000"}).advertise_port == 18000);
  REQUIRE_FALSE(parse({}).advertise_port);
}

TEST_CASE("NodeOptions reads --stop-grace in seconds", "[config]") {
  REQUIRE(parse({"--stop-grace", "0.25"}).stop_grace == std::chrono::milliseconds(250));
  REQUIRE(parse({}).stop_grace == std::chrono::milliseconds(1500));
}

TEST_CASE("NodeOptions rejects a bad --stop-grace", "[config]") {
  for (const std::string value : {"soon", "-1", "61"}) {
    INFO("--stop-grace " << value);
    const std::string message = parse_error({"--stop-grace", value});
    REQUIRE_THAT(message, Catch::Contains("--stop-grace"));
    REQUIRE_THAT(message, Catch::Contains("must be a number"));
  }
}

TEST_CASE("NodeOptions takes --state-dir over WINEBOT_STATE_DIR", "[config]") {
  const Environment variables = {{"WINEBOT_STATE_DIR", "/from/env"}};

  REQUIRE(parse({"--state-dir", "/from/flag"}, variables).state_dir == "/from/flag");
  REQUIRE(parse({}, variables).state_dir == "/from/env");
}

TEST_CASE("NodeOptions leaves session_dir unset by default", "[config]") {
  REQUIRE_FALSE(parse({}).session_dir);
}

TEST_CASE("NodeOptions takes --session-dir over WINEBOT_SESSION_DIR", "[config]") {
  const Environment variables = {{"WINEBOT_SESSION_DIR", "/sessions/env"}};

  REQUIRE(parse({"--session-dir", "/sessions/flag"}, variables).session_dir == "/sessions/flag");
  REQUIRE(parse({}, variables).session_dir == "/sessions/env");
}

TEST_CASE("NodeOptions reads the session root", "[config]") {
  REQUIRE(parse({}).session_root == "/artifacts/sessions");
  REQUIRE(parse({}, {{"WINEBOT_SESSION_ROOT", "/data"}}).session_root == "/data");
}

TEST_CASE("NodeOptions skips validation for --help", "[config]") {
  const auto options = parse({"--help", "--listen", "nonsense"});

  REQUIRE(options.help);
}

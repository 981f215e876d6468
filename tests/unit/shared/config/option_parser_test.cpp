#include "shared/config/option_parser.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace {

using winebot::shared::ConfigError;
using winebot::shared::EnvLookup;
using winebot::shared::OptionParser;
using winebot::shared::parse_integer;
using winebot::shared::ParsedOptions;

using Environment = std::map<std::string, std::string>;

EnvLookup fake_environment(Environment variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

OptionParser make_parser() {
  OptionParser parser("test-program", "A program for tests.");
  parser.add({"port", "PORT", "8000", "TEST_PORT", "Port to listen on."});
  parser.add({"ratio", "NUMBER", "0.5", "TEST_RATIO", "A fraction."});
  parser.add({"name", "NAME", "", "TEST_NAME", "A name without a default."});
  parser.add({"node", "HOST:PORT", "", "TEST_NODES", "A node to poll.", true});
  return parser;
}

// Parses `arguments` as if they followed the program name on the command line.
ParsedOptions parse(std::vector<std::string> arguments, Environment variables = {}) {
  std::vector<const char*> argv = {"test-program"};
  for (const auto& argument : arguments) {
    argv.push_back(argument.c_str());
  }
  return make_parser().parse(static_cast<int>(argv.size()), argv.data(),
                             fake_environment(std::move(variables)));
}

// Returns the ConfigError message that parsing `arguments` throws, or "" when none is thrown.
std::string parse_error(std::vector<std::string> arguments, Environment variables = {}) {
  try {
    parse(std::move(arguments), std::move(variables));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

std::string integer_error(const ParsedOptions& options, const std::string& name) {
  try {
    options.integer(name, 1, 65535);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("OptionParser rejects an unknown option", "[config]") {
  const std::string message = parse_error({"--bogus", "1"});

  REQUIRE_THAT(message, Catch::Contains("unknown option --bogus"));
  REQUIRE_THAT(message, Catch::Contains("test-program --help"));
}

TEST_CASE("OptionParser rejects an argument without dashes", "[config]") {
  REQUIRE_THAT(parse_error({"port"}), Catch::Contains("unexpected argument 'port'"));
}

TEST_CASE("OptionParser rejects an option missing its value", "[config]") {
  const std::string message = parse_error({"--port"});

  REQUIRE_THAT(message, Catch::Contains("--port"));
  REQUIRE_THAT(message, Catch::Contains("PORT"));
}

TEST_CASE("OptionParser takes a value after '='", "[config]") {
  const auto options = parse({"--port=9000", "--name=a=b"});

  REQUIRE(options.text("port") == "9000");
  REQUIRE(options.text("name") == "a=b");
}

TEST_CASE("OptionParser lets a flag win over the environment", "[config]") {
  const auto options = parse({"--port", "9000"}, {{"TEST_PORT", "7000"}});

  REQUIRE(options.text("port") == "9000");
  REQUIRE(options.origin("port") == "--port");
  REQUIRE(options.is_set("port"));
}

TEST_CASE("OptionParser lets the environment win over the default", "[config]") {
  const auto options = parse({}, {{"TEST_PORT", "7000"}});

  REQUIRE(options.text("port") == "7000");
  REQUIRE(options.origin("port") == "TEST_PORT");
  REQUIRE(options.is_set("port"));
}

TEST_CASE("OptionParser falls back to the default", "[config]") {
  const auto options = parse({});

  REQUIRE(options.text("port") == "8000");
  REQUIRE_FALSE(options.is_set("port"));
  REQUIRE(options.text("name").empty());
}

TEST_CASE("OptionParser treats a blank variable as unset", "[config]") {
  const auto options = parse({}, {{"TEST_PORT", "  "}});

  REQUIRE(options.text("port") == "8000");
  REQUIRE_FALSE(options.is_set("port"));
}

TEST_CASE("OptionParser keeps the last of a repeated flag", "[config]") {
  REQUIRE(parse({"--port", "1", "--port", "2"}).text("port") == "2");
}

TEST_CASE("OptionParser collects a repeatable flag in order", "[config]") {
  const auto options = parse({"--node", "b:1", "--node", "a:2"}, {{"TEST_NODES", "c:3"}});

  REQUIRE(options.all("node") == std::vector<std::string>{"b:1", "a:2"});
}

TEST_CASE("OptionParser splits a repeatable variable at commas", "[config]") {
  const auto options = parse({}, {{"TEST_NODES", " a:1, ,b:2 "}});

  REQUIRE(options.all("node") == std::vector<std::string>{"a:1", "b:2"});
}

TEST_CASE("OptionParser notes --help and --version", "[config]") {
  const auto options = parse({"--help", "--version"});

  REQUIRE(options.help_requested());
  REQUIRE(options.version_requested());
}

TEST_CASE("OptionParser help lists defaults and variables", "[config]") {
  const std::string help = make_parser().help_text();

  REQUIRE_THAT(help, Catch::Contains("--port PORT"));
  REQUIRE_THAT(help, Catch::Contains("Default: 8000."));
  REQUIRE_THAT(help, Catch::Contains("Environment: TEST_PORT."));
}

TEST_CASE("ParsedOptions integer error names the flag", "[config]") {
  const std::string message = integer_error(parse({"--port", "80x"}), "port");

  REQUIRE_THAT(message, Catch::Contains("must be an integer"));
  REQUIRE_THAT(message, Catch::Contains("--port"));
  REQUIRE_THAT(message, Catch::Contains("'80x'"));
}

TEST_CASE("ParsedOptions integer error names the variable", "[config]") {
  const std::string message = integer_error(parse({}, {{"TEST_PORT", "eighty"}}), "port");

  REQUIRE_THAT(message, Catch::Contains("must be an integer"));
  REQUIRE_THAT(message, Catch::Contains("TEST_PORT"));
}

TEST_CASE("ParsedOptions integer rejects values out of range", "[config]") {
  REQUIRE_THAT(integer_error(parse({"--port", "0"}), "port"), Catch::Contains("from 1 to 65535"));
  REQUIRE_THAT(integer_error(parse({"--port", "65536"}), "port"), Catch::Contains("'65536'"));
  REQUIRE(parse({"--port", "65535"}).integer("port", 1, 65535) == 65535);
}

TEST_CASE("ParsedOptions number accepts a fraction", "[config]") {
  REQUIRE(parse({"--ratio", "0.25"}).number("ratio", 0, 1) == Approx(0.25));
}

TEST_CASE("ParsedOptions number rejects non-finite values", "[config]") {
  for (const std::string text : {"nan", "inf", "1e400", "0.5x", ""}) {
    INFO("value: '" << text << "'");
    const auto options = parse({"--ratio=" + text});
    REQUIRE_THROWS_AS(options.number("ratio", 0, 1), ConfigError);
  }
}

TEST_CASE("parse_integer accepts whole decimal integers", "[config]") {
  REQUIRE(parse_integer("42") == 42);
  REQUIRE(parse_integer(" -7 ") == -7);
  REQUIRE(parse_integer("+3") == 3);
  REQUIRE(parse_integer("9223372036854775807") == 9223372036854775807LL);
}

TEST_CASE("parse_integer rejects anything else", "[config]") {
  for (const std::string text : {"", " ", "5.0", "0x10", "12abc", "abc", "9223372036854775808"}) {
    INFO("text: '" << text << "'");
    REQUIRE(parse_integer(text) == std::nullopt);
  }
}

#include "hub/hub_options.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/unit/support/temp_folder.hpp"

namespace winebot::hub {
namespace {

constexpr const char* kNodeA = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr const char* kNodeB = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
constexpr const char* kAdminToken = "0123456789abcdef0123";

using Environment = std::map<std::string, std::string>;

HubOptions parse(std::vector<std::string> arguments, Environment variables = {}) {
  std::vector<const char*> argv = {"winebot-hub"};
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
  return parse_hub_options(static_cast<int>(argv.size()), argv.data(), env);
}

TEST_CASE("HubOptions holds no tokens by default", "[actions]") {
  const auto options = parse({});
  CHECK(options.node_tokens.empty());
  CHECK(options.admin_token.empty());
}

TEST_CASE("HubOptions reads node tokens from flags, file and environment", "[actions]") {
  test::TempFolder folder;
  const auto path = folder.path() / "tokens.txt";
  std::ofstream(path) << "# tokens\n" << kNodeA << "=from-file\n" << kNodeB << "=file-b\n";

  std::string flag_value(kNodeA);
  flag_value += "=flag";
  const auto options = parse({"--node-tokens-file", path.string(), "--node-token", flag_value},
                             {{"WINEBOT_HUB_NODE_TOKEN", " fleet-token "}});
  CHECK(options.node_tokens.token_for(kNodeA) == "flag");  // The flag wins over the file.
  CHECK(options.node_tokens.token_for(kNodeB) == "file-b");
  CHECK(options.node_tokens.token_for("other") == "fleet-token");
}

TEST_CASE("HubOptions rejects invalid node tokens", "[actions]") {
  CHECK_THROWS_WITH(parse({"--node-token", "missing-equals"}), Catch::Contains("--node-token"));
  CHECK_THROWS_WITH(parse({"--node-token", "a=1", "--node-token", "a=2"}),
                    Catch::Contains("repeats node id a"));
  CHECK_THROWS_WITH(parse({"--node-tokens-file", "/nonexistent/tokens.txt"}),
                    Catch::Contains("cannot be read"));
  CHECK_THROWS_WITH(parse({}, {{"WINEBOT_HUB_NODE_TOKEN", "two words"}}),
                    Catch::Contains("WINEBOT_HUB_NODE_TOKEN contains a blank"));
}

TEST_CASE("HubOptions reads the admin token from the environment", "[actions]") {
  CHECK(parse({}, {{"WINEBOT_HUB_ADMIN_TOKEN", kAdminToken}}).admin_token == kAdminToken);
  CHECK(parse({}, {{"WINEBOT_HUB_ADMIN_TOKEN", "   "}}).admin_token.empty());
  CHECK_THROWS_WITH(parse({}, {{"WINEBOT_HUB_ADMIN_TOKEN", "short"}}),
                    Catch::Contains("WINEBOT_HUB_ADMIN_TOKEN is shorter than 16 characters"));
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

TEST_CASE("HubOptions store defaults", "[store]") {
  const auto options = parse({});
  CHECK(options.sample_interval == std::chrono::seconds(10));
  CHECK(options.retention.raw_age == std::chrono::hours(24 * 7));
  CHECK(options.retention.rollup_age == std::chrono::hours(24 * 90));
  CHECK(options.retention.max_bytes == 0);
  CHECK(options.recording_cpu_cores == 0.1);
}

TEST_CASE("HubOptions reads retention flags", "[store]") {
  const auto options = parse({"--retention-days", "0.5", "--rollup-retention-days", "30",
                              "--db-max-mb", "64", "--sample-interval", "2"});
  CHECK(options.retention.raw_age == std::chrono::hours(12));
  CHECK(options.retention.rollup_age == std::chrono::hours(24 * 30));
  CHECK(options.retention.max_bytes == 64LL * 1024 * 1024);
  CHECK(options.sample_interval == std::chrono::seconds(2));
}

TEST_CASE("HubOptions rejects out-of-range retention", "[store]") {
  CHECK_THROWS_AS(parse({"--retention-days", "0"}), shared::ConfigError);
  CHECK_THROWS_AS(parse({"--db-max-mb", "-1"}), shared::ConfigError);
  CHECK_THROWS_AS(parse({"--sample-interval", "0.5"}), shared::ConfigError);
  CHECK_THROWS_AS(parse({"--recording-cpu-cores", "lots"}), shared::ConfigError);
}

}  // namespace
}  // namespace winebot::hub

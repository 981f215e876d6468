#include "hub/discovery/static_discovery.hpp"

#include <fstream>

#include <catch2/catch.hpp>

#include "hub/hub_options.hpp"
#include "shared/config/option_parser.hpp"

namespace winebot::hub {
namespace {

HubOptions parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "winebot-hub");
  std::vector<const char*> argv;
  for (const auto& argument : arguments) {
    argv.push_back(argument.c_str());
  }
  return parse_hub_options(static_cast<int>(argv.size()), argv.data(),
                           [](const std::string&) { return std::nullopt; });
}

TEST_CASE("parse_node_list reads entries and skips comments", "[discovery]") {
  const auto nodes = parse_node_list(
      "# WineBot nodes\n"
      "\n"
      "192.0.2.10:8000\n"
      "  node-1.lan:8001   # second rack\r\n"
      "[2001:db8::10]:8002\n",
      "nodes.txt");
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].host == "192.0.2.10");
  CHECK(nodes[0].port == 8000);
  CHECK(nodes[1].host == "node-1.lan");
  CHECK(nodes[1].port == 8001);
  CHECK(nodes[2].host == "2001:db8::10");
  CHECK(nodes[2].port == 8002);
}

TEST_CASE("parse_node_list names the bad line", "[discovery]") {
  CHECK_THROWS_WITH(parse_node_list("192.0.2.10:8000\n\nnode-without-port\n", "nodes.txt"),
                    Catch::Contains("nodes.txt line 3 must be HOST:PORT") &&
                        Catch::Contains("(got 'node-without-port')"));
}

TEST_CASE("parse_node_address rejects a missing host or port", "[discovery]") {
  for (const std::string bad : {":8000", "host:", "host:0", "host:70000", "2001:db8::1:80", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_node_address(bad, "--node"), shared::ConfigError);
  }
  CHECK(parse_node_address("127.0.0.1:9001", "--node").port == 9001);
}

TEST_CASE("Hub options read SRV and static sources", "[discovery]") {
  const auto options =
      parse({"--discovery", "avahi,srv:_winebot._tcp.nodes.test,static", "--node", "127.0.0.1:9001",
             "--node", "node.lan:9002", "--srv-interval", "0.5", "--dns-server", "127.0.0.1:5353"});
  CHECK(options.discover_avahi);
  REQUIRE(options.srv_names.size() == 1);
  CHECK(options.srv_names[0] == "_winebot._tcp.nodes.test");
  REQUIRE(options.static_nodes.size() == 2);
  CHECK(options.static_nodes[1].host == "node.lan");
  CHECK(options.srv_interval == std::chrono::milliseconds(500));
  REQUIRE(options.dns_server);
  CHECK(options.dns_server->port == 5353);
}

TEST_CASE("Hub options default to the system DNS server", "[discovery]") {
  const auto options = parse({"--discovery", "srv:_winebot._tcp.nodes.test"});
  CHECK_FALSE(options.discover_avahi);
  CHECK_FALSE(options.dns_server);
  CHECK(options.srv_interval == std::chrono::milliseconds(5000));
  CHECK(options.static_nodes.empty());
}

TEST_CASE("Hub options reject bad discovery values", "[discovery]") {
  CHECK_THROWS_WITH(parse({"--discovery", "srv:"}),
                    Catch::Contains("--discovery must list avahi, srv:NAME, static or none"));
  CHECK_THROWS_WITH(parse({"--discovery", "static"}),
                    Catch::Contains("lists static, but no node was given"));
  CHECK_THROWS_WITH(parse({"--dns-server", "dns.example:53"}),
                    Catch::Contains("--dns-server must be system or an IP address and port"));
  CHECK_THROWS_WITH(parse({"--dns-server", "127.0.0.1"}),
                    Catch::Contains("--dns-server must be system"));
  CHECK_THROWS_WITH(parse({"--node", "nonsense"}), Catch::Contains("--node must be HOST:PORT"));
  CHECK_THROWS_AS(parse({"--srv-interval", "0"}), shared::ConfigError);
}

TEST_CASE("Hub options read a nodes file", "[discovery]") {
  const auto path = std::filesystem::temp_directory_path() / "winebot-nodes-file-test.txt";
  {
    std::ofstream file(path);
    file << "# fleet\n127.0.0.1:9001\n127.0.0.1:9002 # second\n";
  }
  const auto options = parse({"--nodes-file", path.string(), "--node", "127.0.0.1:9003"});
  std::filesystem::remove(path);
  REQUIRE(options.static_nodes.size() == 3);
  CHECK(options.static_nodes[0].port == 9003);
  CHECK(options.static_nodes[2].port == 9002);
}

TEST_CASE("Hub options name an unreadable nodes file", "[discovery]") {
  CHECK_THROWS_WITH(parse({"--nodes-file", "/nonexistent/winebot-nodes.txt"}),
                    Catch::Contains("--nodes-file names a file that cannot be read: "
                                    "/nonexistent/winebot-nodes.txt"));
}

}  // namespace
}  // namespace winebot::hub

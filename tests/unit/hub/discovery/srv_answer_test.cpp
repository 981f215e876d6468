#include "hub/discovery/srv_answer.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/hub/discovery/dns_test_messages.hpp"

namespace winebot::hub::dns {
namespace {

using testing::kResponseFlags;
using testing::kServiceName;
using testing::MessageBuilder;

Message parse_built(MessageBuilder& builder) {
  auto parsed = parse_message(std::span(builder.bytes().data(), builder.bytes().size()));
  REQUIRE(parsed.message);
  return *parsed.message;
}

TEST_CASE("extract_srv_targets lists each target once", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 5, 0, 0)
      .srv(kServiceName, 9001, "node-0.nodes.test")
      .srv("_winebot._tcp.NODES.test", 9001, "node-0.nodes.test")  // Same target, other case.
      .srv(kServiceName, 9002, "node-0.nodes.test")                // Same host, other port.
      .srv(kServiceName, 9003, "node-1.nodes.test")
      .srv("_other._tcp.nodes.test", 9004, "node-2.nodes.test");  // Answers another name.
  const auto targets = extract_srv_targets(parse_built(builder), kServiceName);
  REQUIRE(targets.size() == 3);
  CHECK(targets[0].host == "node-0.nodes.test");
  CHECK(targets[0].port == 9001);
  CHECK(targets[1].port == 9002);
  CHECK(targets[2].host == "node-1.nodes.test");
  CHECK(targets[2].port == 9003);
}

TEST_CASE("extract_srv_targets skips the root target and port 0", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 3, 0, 0)
      .srv(kServiceName, 9001, "")
      .srv(kServiceName, 0, "node-0.nodes.test")
      .srv(kServiceName, 9002, "node-1.nodes.test");
  const auto targets = extract_srv_targets(parse_built(builder), kServiceName);
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].host == "node-1.nodes.test");
}

TEST_CASE("extract_srv_targets follows a CNAME of the name", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 2, 0, 0)
      .cname(kServiceName, "_winebot._tcp.real.test")
      .srv("_winebot._tcp.real.test", 9001, "node-0.real.test");
  const auto targets = extract_srv_targets(parse_built(builder), "_winebot._tcp.NODES.test.");
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].host == "node-0.real.test");
}

TEST_CASE("extract_srv_targets ignores SRV in the additional section", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 0, 0, 1).srv(kServiceName, 9001, "node-0.nodes.test");
  CHECK(extract_srv_targets(parse_built(builder), kServiceName).empty());
}

TEST_CASE("extract_addresses reads answer and additional sections", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 1, 0, 3)
      .a("node-0.nodes.test", 192, 0, 2, 1)
      .a("NODE-0.nodes.test", 192, 0, 2, 1)  // Duplicate, other case.
      .aaaa_loopback("node-0.nodes.test")
      .a("node-1.nodes.test", 192, 0, 2, 2);
  const auto addresses = extract_addresses(parse_built(builder), "node-0.nodes.test");
  REQUIRE(addresses.size() == 2);
  CHECK(addresses[0] == "192.0.2.1");
  CHECK(addresses[1] == "::1");
}

TEST_CASE("extract_addresses follows a CNAME chain", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 3, 0, 0)
      .cname("node-0.nodes.test", "pod-a.nodes.test")
      .cname("pod-a.nodes.test", "pod-b.nodes.test")
      .a("pod-b.nodes.test", 192, 0, 2, 9);
  const auto addresses = extract_addresses(parse_built(builder), "node-0.nodes.test");
  REQUIRE(addresses.size() == 1);
  CHECK(addresses[0] == "192.0.2.9");
}

TEST_CASE("extract_addresses stops on a CNAME loop", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 2, 0, 0).cname("a.test", "b.test").cname("b.test", "a.test");
  CHECK(extract_addresses(parse_built(builder), "a.test").empty());
}

TEST_CASE("extract_addresses returns nothing for an unknown host", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 1, 0, 0).a("node-1.nodes.test", 192, 0, 2, 2);
  CHECK(extract_addresses(parse_built(builder), "node-0.nodes.test").empty());
}

}  // namespace
}  // namespace winebot::hub::dns

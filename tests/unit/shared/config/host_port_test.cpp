#include "shared/config/host_port.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

using winebot::shared::HostPort;
using winebot::shared::parse_host_port;

}  // namespace

TEST_CASE("parse_host_port reads an IPv4 address and port", "[config]") {
  const auto parsed = parse_host_port("127.0.0.1:8000");

  REQUIRE(parsed);
  REQUIRE(parsed->host == "127.0.0.1");
  REQUIRE(parsed->port == 8000);
}

TEST_CASE("parse_host_port reads a host name and port", "[config]") {
  const auto parsed = parse_host_port("node-1.local:80");

  REQUIRE(parsed);
  REQUIRE(parsed->host == "node-1.local");
  REQUIRE(parsed->port == 80);
}

TEST_CASE("parse_host_port reads a bracketed IPv6 literal", "[config]") {
  const auto parsed = parse_host_port("[::1]:80");

  REQUIRE(parsed);
  REQUIRE(parsed->host == "::1");
  REQUIRE(parsed->port == 80);
}

TEST_CASE("parse_host_port keeps an IPv6 zone", "[config]") {
  const auto parsed = parse_host_port("[fe80::1%eth0]:8000");

  REQUIRE(parsed);
  REQUIRE(parsed->host == "fe80::1%eth0");
}

TEST_CASE("parse_host_port reads ':PORT' as all addresses", "[config]") {
  const auto parsed = parse_host_port(":8000");

  REQUIRE(parsed);
  REQUIRE(parsed->host == "0.0.0.0");
  REQUIRE(parsed->port == 8000);
}

TEST_CASE("parse_host_port accepts ports 0 and 65535", "[config]") {
  REQUIRE(parse_host_port("127.0.0.1:0")->port == 0);
  REQUIRE(parse_host_port("127.0.0.1:65535")->port == 65535);
}

TEST_CASE("parse_host_port rejects a missing port", "[config]") {
  REQUIRE_FALSE(parse_host_port("127.0.0.1"));
  REQUIRE_FALSE(parse_host_port("127.0.0.1:"));
  REQUIRE_FALSE(parse_host_port("[::1]"));
  REQUIRE_FALSE(parse_host_port("[::1]:"));
  REQUIRE_FALSE(parse_host_port(""));
}

TEST_CASE("parse_host_port rejects port 65536", "[config]") {
  REQUIRE_FALSE(parse_host_port("127.0.0.1:65536"));
  REQUIRE_FALSE(parse_host_port("[::1]:65536"));
}

TEST_CASE("parse_host_port rejects a port that is not digits", "[config]") {
  for (const std::string text : {"h:http", "h:80x", "h:8.0", "h:-1", "h:+80", "h: 80", "h:80 ",
                                 "h:\t80", "h:80\n", "h:0x50"}) {
    INFO("text: '" << text << "'");
    REQUIRE_FALSE(parse_host_port(text));
  }
}

TEST_CASE("parse_host_port rejects an unbracketed IPv6 literal", "[config]") {
  REQUIRE_FALSE(parse_host_port("::1:80"));
  REQUIRE_FALSE(parse_host_port("fe80::1:8000"));
}

TEST_CASE("parse_host_port rejects text after the bracket", "[config]") {
  REQUIRE_FALSE(parse_host_port("[::1]80"));
  REQUIRE_FALSE(parse_host_port("[::1:80"));
}

TEST_CASE("HostPort brackets an IPv6 host when printed", "[config]") {
  REQUIRE(HostPort{"::1", 80}.to_string() == "[::1]:80");
  REQUIRE(HostPort{"127.0.0.1", 8000}.to_string() == "127.0.0.1:8000");
}

TEST_CASE("parse_host_port rejects empty brackets", "[config]") {
  REQUIRE_FALSE(winebot::shared::parse_host_port("[]:80").has_value());
}

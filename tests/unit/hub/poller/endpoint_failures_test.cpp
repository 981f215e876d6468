#include "hub/poller/node_poller.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using winebot::hub::describe_endpoint_failures;

}  // namespace

TEST_CASE("endpoint failures: one endpoint is named as is", "[poller]") {
  CHECK(describe_endpoint_failures({"timed out at 10.0.0.5:8000"}) == "timed out at 10.0.0.5:8000");
}

TEST_CASE("endpoint failures: every endpoint is named in probe order", "[poller]") {
  // The IPv4 address is probed first, so its error must stay visible after the link-local one.
  CHECK(describe_endpoint_failures(
            {"Connection refused at 10.0.0.5:8000", "Connection refused at [fe80::1%eth0]:8000"}) ==
        "Connection refused at 10.0.0.5:8000; Connection refused at [fe80::1%eth0]:8000");
}

TEST_CASE("endpoint failures: more than three are counted", "[poller]") {
  const std::vector<std::string> failures = {"a at 10.0.0.1:1", "b at 10.0.0.2:1",
                                             "c at 10.0.0.3:1", "d at 10.0.0.4:1",
                                             "e at 10.0.0.5:1"};
  CHECK(describe_endpoint_failures(failures) ==
        "a at 10.0.0.1:1; b at 10.0.0.2:1; c at 10.0.0.3:1; and 2 more addresses");
}

TEST_CASE("endpoint failures: none gives an empty text", "[poller]") {
  CHECK(describe_endpoint_failures({}).empty());
}

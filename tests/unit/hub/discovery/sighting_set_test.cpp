#include "hub/discovery/sighting_set.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "hub/poller/node_poller.hpp"

namespace winebot::hub {
namespace {

constexpr const char* kNodeId = "0f8fad5b-d9cb-469f-a165-70867728950e";

// The poller is never run: poke only records that a loop should start.
struct SightingSetFixture {
  boost::asio::io_context io;
  std::int64_t now_ms = 1'000'000;
  NodeRegistry registry{[this] { return now_ms; }};
  NodePoller poller{io, registry, PollSettings{}};
  SightingSet set{registry, poller};

  static NodeEndpoint endpoint(const std::string& host, std::uint16_t port,
                               const std::string& address) {
    NodeEndpoint endpoint;
    endpoint.key = "srv:" + host + ":" + std::to_string(port) + "/" + address;
    endpoint.source = "srv";
    endpoint.address = address;
    endpoint.port = port;
    endpoint.instance_name = host;
    endpoint.host_name = host;
    return endpoint;
  }
};

TEST_CASE("SightingSet adds every reported sighting", "[discovery]") {
  SightingSetFixture fixture;
  fixture.set.apply({SightingSetFixture::endpoint("a.test", 9001, "127.0.0.1"),
                     SightingSetFixture::endpoint("b.test", 9002, "127.0.0.1")});
  CHECK(fixture.set.size() == 2);
  CHECK(fixture.registry.size() == 2);
  CHECK(fixture.registry.find("address:127.0.0.1:9001") != nullptr);
  CHECK(fixture.registry.find("address:127.0.0.1:9002") != nullptr);
  CHECK(fixture.poller.active_count() == 2);
}

TEST_CASE("SightingSet removes what a report no longer lists", "[discovery]") {
  SightingSetFixture fixture;
  const auto kept = SightingSetFixture::endpoint("a.test", 9001, "127.0.0.1");
  const auto dropped = SightingSetFixture::endpoint("b.test", 9002, "127.0.0.1");
  fixture.set.apply({kept, dropped});
  fixture.registry.record_probe_success("address:127.0.0.1:9002", 5,
                                        {{"node_id", kNodeId}, {"name", "b"}});

  fixture.set.apply({kept});
  CHECK(fixture.set.size() == 1);
  const auto* node = fixture.registry.find(kNodeId);
  REQUIRE(node != nullptr);
  CHECK_FALSE(node->advertised());
  CHECK(node->stored_endpoints.size() == 1);
  REQUIRE(fixture.registry.find("address:127.0.0.1:9001") != nullptr);
  CHECK(fixture.registry.find("address:127.0.0.1:9001")->advertised());
}

TEST_CASE("SightingSet keeps sightings of unresolved groups", "[discovery]") {
  SightingSetFixture fixture;
  const auto first = SightingSetFixture::endpoint("a.test", 9001, "127.0.0.1");
  const auto second = SightingSetFixture::endpoint("b.test", 9002, "127.0.0.1");
  fixture.set.apply({first, second});

  fixture.set.apply({first}, {"b.test:9002"});
  CHECK(fixture.set.size() == 2);
  CHECK(fixture.registry.find("address:127.0.0.1:9002")->advertised());

  // Resolved again, and without it: now it goes.
  fixture.set.apply({first});
  CHECK(fixture.set.size() == 1);
  CHECK(fixture.registry.find("address:127.0.0.1:9002") == nullptr);
}

TEST_CASE("SightingSet empty report removes everything", "[discovery]") {
  SightingSetFixture fixture;
  fixture.set.apply({SightingSetFixture::endpoint("a.test", 9001, "127.0.0.1")});
  fixture.set.apply({});
  CHECK(fixture.set.size() == 0);
  CHECK(fixture.registry.size() == 0);
}

TEST_CASE("SightingSet refresh keeps one node", "[discovery]") {
  SightingSetFixture fixture;
  const auto endpoint = SightingSetFixture::endpoint("a.test", 9001, "127.0.0.1");
  fixture.set.apply({endpoint});
  fixture.now_ms += 5000;
  fixture.set.apply({endpoint, endpoint});
  CHECK(fixture.set.size() == 1);
  REQUIRE(fixture.registry.size() == 1);
  const auto* node = fixture.registry.find("address:127.0.0.1:9001");
  CHECK(node->sightings.size() == 1);
  CHECK(node->last_seen_ms == 1'005'000);
}

TEST_CASE("SightingSet group is host and port", "[discovery]") {
  CHECK(SightingSet::group_of(SightingSetFixture::endpoint("a.test", 9001, "::1")) ==
        "a.test:9001");
}

}  // namespace
}  // namespace winebot::hub

#include "hub/poller/node_poller.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "hub/registry/node_registry.hpp"
#include "shared/http/http_server.hpp"
#include "shared/http/router.hpp"
#include "tests/unit/support/run_until.hpp"

namespace winebot::hub {
namespace {

using namespace std::chrono_literals;

// A node on 127.0.0.1 whose GET /state responds after `delay`, without a node_id, so that the
// hub keeps it as the provisional node of its address and one poll loop probes it throughout.
struct SlowNodeFixture {
  explicit SlowNodeFixture(std::chrono::milliseconds delay) {
    router.add_async(
        "GET", "/state",
        [this, delay](const shared::HttpRequest&) -> boost::asio::awaitable<shared::HttpResponse> {
          ++probes;
          boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
          co_await timer.async_wait(boost::asio::use_awaitable);
          co_return shared::HttpResponse::json(200, {{"name", "slow node"}});
        });
    port = server.listen({"127.0.0.1", 0});
  }

  std::string add_node() {
    NodeEndpoint endpoint;
    endpoint.key = "static:127.0.0.1:" + std::to_string(port);
    endpoint.source = "static";
    endpoint.address = "127.0.0.1";
    endpoint.port = port;
    return registry.add_address_sighting(endpoint);
  }

  boost::asio::io_context io;
  shared::Router router;
  shared::HttpServer server{io, router};
  std::uint16_t port = 0;
  int probes = 0;
  NodeRegistry registry{[] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }};
};

}  // namespace

TEST_CASE("NodePoller keeps its interval on slow responses", "[poller]") {
  SlowNodeFixture fixture(250ms);
  PollSettings settings;
  settings.interval = 300ms;
  settings.jitter = 0;
  settings.events_interval = 0ms;
  NodePoller poller(fixture.io, fixture.registry, settings);
  const auto node_id = fixture.add_node();
  poller.poke(node_id);

  test::run_for(fixture.io, 3000ms);
  poller.stop();

  // Probes start every 300 ms, so about 10 fit in 3 s. Waiting the interval after each 250 ms
  // response fits at most 6: at 0, 0.55, 1.1, 1.65, 2.2 and 2.75 s. The bound leaves room for
  // timers that fire late on a busy machine.
  CHECK(fixture.probes >= 7);
  const auto* node = fixture.registry.find(node_id);
  REQUIRE(node != nullptr);
  CHECK(node->state == NodeState::kOnline);
}

TEST_CASE("NodePoller probes back to back past the interval", "[poller]") {
  SlowNodeFixture fixture(400ms);
  PollSettings settings;
  settings.interval = 200ms;
  settings.jitter = 0;
  settings.events_interval = 0ms;
  NodePoller poller(fixture.io, fixture.registry, settings);
  poller.poke(fixture.add_node());

  test::run_for(fixture.io, 2000ms);
  poller.stop();

  // Back to back, 400 ms each: 5 probes in 2 s, never two at once on the one connection.
  CHECK(fixture.probes >= 4);
  CHECK(fixture.probes <= 6);
}

}  // namespace winebot::hub

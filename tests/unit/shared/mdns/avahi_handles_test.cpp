#include "shared/mdns/avahi_handles.hpp"

#include <avahi-common/error.h>

#include <catch2/catch.hpp>

namespace {

using winebot::shared::client_retry_delay_ms;
using winebot::shared::kAvahiRetryDelayMs;

}  // namespace

TEST_CASE("client retry is immediate after a running client lost the daemon", "[mdns]") {
  CHECK(client_retry_delay_ms(AVAHI_ERR_DISCONNECTED, true) == 0);
}

TEST_CASE("client retry waits after a disconnect before running", "[mdns]") {
  // A client that never ran may be failing in a loop; only a lost daemon earns a quick retry.
  CHECK(client_retry_delay_ms(AVAHI_ERR_DISCONNECTED, false) == kAvahiRetryDelayMs);
}

TEST_CASE("client retry waits after other failures", "[mdns]") {
  CHECK(client_retry_delay_ms(AVAHI_ERR_NO_DAEMON, true) == kAvahiRetryDelayMs);
  CHECK(client_retry_delay_ms(AVAHI_ERR_ACCESS_DENIED, true) == kAvahiRetryDelayMs);
  CHECK(client_retry_delay_ms(AVAHI_ERR_DBUS_ERROR, false) == kAvahiRetryDelayMs);
}

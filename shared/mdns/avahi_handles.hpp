#pragma once

// Owning wrappers for the Avahi client library's handles. Each frees its handle exactly once
// with the library's own function; nothing else in the project calls avahi_*_free.

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/strlst.h>
#include <avahi-common/watch.h>

#include <memory>
#include <string>
#include <vector>

namespace winebot::shared {

struct AvahiClientDeleter {
  void operator()(AvahiClient* client) const { avahi_client_free(client); }
};
struct AvahiEntryGroupDeleter {
  void operator()(AvahiEntryGroup* group) const { avahi_entry_group_free(group); }
};
struct AvahiServiceBrowserDeleter {
  void operator()(AvahiServiceBrowser* browser) const { avahi_service_browser_free(browser); }
};
struct AvahiServiceResolverDeleter {
  void operator()(AvahiServiceResolver* resolver) const { avahi_service_resolver_free(resolver); }
};
struct AvahiStringListDeleter {
  void operator()(AvahiStringList* list) const { avahi_string_list_free(list); }
};

using AvahiClientPtr = std::unique_ptr<AvahiClient, AvahiClientDeleter>;
using AvahiEntryGroupPtr = std::unique_ptr<AvahiEntryGroup, AvahiEntryGroupDeleter>;
using AvahiServiceBrowserPtr = std::unique_ptr<AvahiServiceBrowser, AvahiServiceBrowserDeleter>;
using AvahiServiceResolverPtr = std::unique_ptr<AvahiServiceResolver, AvahiServiceResolverDeleter>;
using AvahiStringListPtr = std::unique_ptr<AvahiStringList, AvahiStringListDeleter>;

// Frees a timeout through the poll table that created it.
struct AvahiTimeoutDeleter {
  const AvahiPoll* api = nullptr;
  void operator()(AvahiTimeout* timeout) const { api->timeout_free(timeout); }
};
using AvahiTimeoutPtr = std::unique_ptr<AvahiTimeout, AvahiTimeoutDeleter>;

// Arms a one-shot timeout on `api` that calls `callback(timeout, userdata)` after `delay_ms`.
AvahiTimeoutPtr start_avahi_timeout(const AvahiPoll* api, unsigned delay_ms,
                                    AvahiTimeoutCallback callback, void* userdata);

// Builds an Avahi string list holding `strings` in order (Avahi prepends, so this reverses).
AvahiStringListPtr make_avahi_string_list(const std::vector<std::string>& strings);

// Copies an Avahi string list into strings, in record order. Items may hold any bytes.
std::vector<std::string> read_avahi_string_list(const AvahiStringList* list);

// Delay before a failed client, entry group or client creation is tried again.
inline constexpr unsigned kAvahiRetryDelayMs = 2000;

// Milliseconds to wait before replacing a failed client with a new one. A client that was running
// and lost the daemon (AVAHI_ERR_DISCONNECTED, e.g. an avahi-daemon restart) is replaced at once,
// because the new one, made with AVAHI_CLIENT_NO_FAIL, waits for the daemon to return by itself.
// Any other failure waits kAvahiRetryDelayMs, so that a failure that repeats does not spin.
unsigned client_retry_delay_ms(int avahi_error, bool was_running);

// The library's text for an Avahi error code, e.g. "Local name collision".
std::string avahi_error_text(int error);

}  // namespace winebot::shared

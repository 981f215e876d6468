#include "shared/mdns/avahi_handles.hpp"

#include <avahi-common/error.h>
#include <avahi-common/timeval.h>

namespace winebot::shared {

AvahiStringListPtr make_avahi_string_list(const std::vector<std::string>& strings) {
  AvahiStringList* list = nullptr;
  for (auto it = strings.rbegin(); it != strings.rend(); ++it) {
    list = avahi_string_list_add_arbitrary(list, reinterpret_cast<const std::uint8_t*>(it->data()),
                                           it->size());
  }
  return AvahiStringListPtr(list);
}

std::vector<std::string> read_avahi_string_list(const AvahiStringList* list) {
  std::vector<std::string> strings;
  for (const AvahiStringList* item = list; item != nullptr; item = item->next) {
    strings.emplace_back(reinterpret_cast<const char*>(item->text), item->size);
  }
  return strings;
}

unsigned client_retry_delay_ms(int avahi_error, bool was_running) {
  return was_running && avahi_error == AVAHI_ERR_DISCONNECTED ? 0 : kAvahiRetryDelayMs;
}

std::string avahi_error_text(int error) {
  return avahi_strerror(error);
}

AvahiTimeoutPtr start_avahi_timeout(const AvahiPoll* api, unsigned delay_ms,
                                    AvahiTimeoutCallback callback, void* userdata) {
  struct timeval when {};
  avahi_elapse_time(&when, delay_ms, 0);
  return AvahiTimeoutPtr(api->timeout_new(api, &when, callback, userdata),
                         AvahiTimeoutDeleter{api});
}

}  // namespace winebot::shared

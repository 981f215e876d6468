#include "hub/api/stream_routes.hpp"

#include "hub/stream/event_bus.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {

void add_stream_route(shared::Router& router, EventBus& bus) {
  router.add("GET", "/api/stream", [&bus](const shared::HttpRequest& request) {
    auto last_event_id = request.header("last-event-id");
    if (!last_event_id) {
      last_event_id = request.query_value("last_event_id");
    }
    if (last_event_id && last_event_id->empty()) {
      last_event_id.reset();  // A client without an id yet, such as `?last_event_id=`.
    }
    auto subscription = bus.subscribe(last_event_id);
    shared::log_debug("stream.client_opened",
                      {shared::field("client", static_cast<long long>(subscription->client_id())),
                       shared::field("remote", request.remote_address),
                       shared::field("last_event_id", last_event_id.value_or(""))});
    return shared::HttpResponse::server_sent_events(std::move(subscription));
  });
}

}  // namespace winebot::hub

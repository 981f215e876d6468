#pragma once

#include "shared/http/router.hpp"

namespace winebot::hub {

class EventBus;

// Adds GET /api/stream: Server-Sent Events from `bus` (event types in hub_event_feed.hpp). A
// client resumes with the `Last-Event-ID` header, or with the `last_event_id` query parameter
// when it cannot set headers. The header wins when both are present, and an empty value counts
// as none. `bus` must outlive the server.
void add_stream_route(shared::Router& router, EventBus& bus);

}  // namespace winebot::hub

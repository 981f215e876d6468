#pragma once

#include <filesystem>

#include "shared/http/router.hpp"

namespace winebot::hub {

class NodeRegistry;

// Adds GET /api/nodes/{id}/events: the events the hub ingested from one node, newest first, with
// `stream` (lifecycle, input or telemetry; default all), `limit` (1 to 1000, default 100) and
// `before` (an event id, for paging back). Reads through its own read-only SQLite connection,
// opened per request on the io_context thread.
// NOTE: the query runs on the io_context thread. It is an indexed range read, but a very busy
// database could delay other requests until the query moves to a reader thread.
void add_event_routes(shared::Router& router, const NodeRegistry& registry,
                      const std::filesystem::path& db);

}  // namespace winebot::hub

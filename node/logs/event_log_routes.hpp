#pragma once

#include "node/logs/log_query.hpp"
#include "node/session/active_session.hpp"
#include "shared/http/router.hpp"

namespace winebot::node {

// Adds WineBot's log endpoints: GET /lifecycle/events, GET /input/events,
// GET /recording/perf/summary and GET /telemetry/events.
//
// Without `after`, an events endpoint returns the newest `limit` records, read backward from the
// end of the file, so the cost depends on `limit` and line length, not on the file's size.
// Blank lines and lines that are not JSON are skipped, never fatal.
//
// With `after=CURSOR` (an empty value means the start of the file), it returns up to `limit`
// records that follow the cursor, oldest first, with `positions` (per record, "DEVICE.INODE.OFFSET"
// of the file and byte it starts at: a unique key for exactly-once ingest) and `next` (the cursor
// to pass next time). Cursors name the file by identity and survive
// node restarts; after a rotation or truncation the read starts again at the new file's
// beginning and `restart` says why.
void add_event_log_routes(shared::Router& router, const ActiveSession& session,
                          const LogQuerySettings& settings);

// The input log file for a `source` query value, as WineBot maps it.
std::string input_log_file_name(const std::string& source);

}  // namespace winebot::node

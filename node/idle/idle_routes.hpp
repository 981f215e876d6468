#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "node/idle/activity.hpp"
#include "node/idle/idle_pauser.hpp"
#include "node/idle/idle_settings.hpp"
#include "shared/http/router.hpp"

namespace winebot::node {

// Adds the idle pauser's endpoints, served by `pauser` on the io_context thread:
//   POST /activity      {"origin": "user"|"agent"|"unknown"}: activity from WineBot's API or
//                       an agent; returns {"status": "ok", "origin": ...}.
//   GET  /control/mode  {"mode": ..., "controller": ...}
//   POST /control/mode  {"mode": "human-only"|"agent-only"|"hybrid"}: sets the mode.
// An invalid body gets 422 with a JSON `detail` naming the field and the accepted values.
void add_idle_routes(shared::Router& router, IdlePauser& pauser);

// The OpenAPI "paths" entries of the three endpoints above, for the node's GET /openapi.json.
nlohmann::json idle_openapi_paths();

// Parses the body of POST /activity. Sets `error` (for a 422 reply) when it is invalid.
std::optional<ActivityOrigin> parse_activity_request(const std::string& body, std::string& error);

// Parses the body of POST /control/mode. Sets `error` (for a 422 reply) when it is invalid.
std::optional<ControlMode> parse_mode_request(const std::string& body, std::string& error);

}  // namespace winebot::node

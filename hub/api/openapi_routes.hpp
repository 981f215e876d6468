#pragma once

#include <nlohmann/json.hpp>

#include "shared/http/router.hpp"

namespace winebot::hub {

// The hub's OpenAPI 3.0 document: every route of the REST API, the event stream, the actions
// and the operational endpoints, with their parameters and error replies.
nlohmann::json hub_openapi_document();

// Adds GET /api/openapi.json, serving hub_openapi_document.
void add_openapi_route(shared::Router& router);

}  // namespace winebot::hub

#pragma once

#include <filesystem>
#include <functional>

#include "shared/http/router.hpp"

namespace winebot::hub {

class NodeRegistry;

// Adds the hub's REST API (/api/nodes with the filters, sort and page of NodeQuery,
// /api/nodes/{id}, /healthz) and serves the dashboard's files from `web_root` for every other
// GET.
void add_hub_routes(shared::Router& router, const NodeRegistry& registry,
                    const std::filesystem::path& web_root);

// Adds GET /readyz for orchestrators: 200 while `is_ready` returns true, else 503. `main` makes
// it true once the database is open and the listener is up, and false again while stopping.
void add_readiness_route(shared::Router& router, std::function<bool()> is_ready);

}  // namespace winebot::hub

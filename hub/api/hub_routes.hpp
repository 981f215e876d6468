#pragma once

#include <filesystem>

#include "shared/http/router.hpp"

namespace winebot::hub {

class NodeRegistry;

// Adds the hub's REST API (/api/nodes, /api/nodes/{id}, /healthz) and serves the dashboard's
// files from `web_root` for every other GET.
void add_hub_routes(shared::Router& router, const NodeRegistry& registry,
                    const std::filesystem::path& web_root);

}  // namespace winebot::hub

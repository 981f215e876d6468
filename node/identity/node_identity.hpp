#pragma once

#include <filesystem>
#include <string>

namespace winebot::node {

// Returns the node's id, a UUID kept in `state_dir/node_id`: created on first start and read
// back on every later one, so a node keeps its identity across restarts, address changes and
// sessions. Throws std::runtime_error when the file exists but does not hold a UUID (it is never
// silently replaced, since that would make the hub see a new node), or when the folder or file
// cannot be written.
std::string load_or_create_node_id(const std::filesystem::path& state_dir);

}  // namespace winebot::node

#include "node/identity/node_identity.hpp"

#include <stdexcept>
#include <system_error>

#include "shared/util/files.hpp"
#include "shared/util/uuid.hpp"

namespace winebot::node {

std::string load_or_create_node_id(const std::filesystem::path& state_dir) {
  const auto path = state_dir / "node_id";
  if (const auto content = shared::read_text_file(path)) {
    std::string id = *content;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r' || id.back() == ' ')) {
      id.pop_back();
    }
    if (!shared::is_uuid(id)) {
      throw std::runtime_error("node id file " + path.string() +
                               " does not hold a UUID; restore it or delete it to create a new id");
    }
    return id;
  }

  const std::string id = shared::generate_uuid_v4();
  try {
    shared::write_file_atomically(path, id + "\n");
  } catch (const std::exception& error) {
    throw std::runtime_error("cannot store the node id in " + state_dir.string() + ": " +
                             error.what() +
                             "; set --state-dir or WINEBOT_STATE_DIR to a writable "
                             "folder");
  }
  return id;
}

}  // namespace winebot::node

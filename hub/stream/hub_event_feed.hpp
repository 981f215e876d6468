#pragma once

#include <string>

#include "hub/store/node_store.hpp"

namespace boost::asio {
class io_context;
}

namespace winebot::hub {

class EventBus;
struct NodeRecord;

// Event types on GET /api/stream, with their data:
//   node.state    a state transition: {"id", "from", "to", "reason", "at_ms", "node"}
//   node.update   any other change (first sighting, probe refresh, TXT, addresses): {"node"}
//   node.removed  a provisional node left the table: {"id", "reason"}
//   events        records newly ingested from a node: {"node_id", "stream", "count", "newest"},
//                 `newest` holding up to IngestCommit::kMaxNewest {"position", "event"} objects
// "node" is the same object GET /api/nodes/{id} returns.
inline constexpr const char* kNodeStateEvent = "node.state";
inline constexpr const char* kNodeUpdateEvent = "node.update";
inline constexpr const char* kNodeRemovedEvent = "node.removed";
inline constexpr const char* kIngestEvent = "events";

// Publishes a registry change: `node.state` when `state_changed`, else `node.update`.
void publish_node_change(EventBus& bus, const NodeRecord& node, bool state_changed);
void publish_node_removal(EventBus& bus, const std::string& node_id, const std::string& reason);
void publish_ingest(EventBus& bus, const IngestCommit& commit);

// Returns a NodeStore commit listener that posts each commit to `io`, which publishes it on `bus`
// when it runs. `io` must outlive the store; commits posted after `io` stopped are not published.
NodeStore::CommitListener make_ingest_publisher(boost::asio::io_context& io, EventBus& bus);

}  // namespace winebot::hub

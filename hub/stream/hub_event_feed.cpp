#include "hub/stream/hub_event_feed.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "hub/api/node_json_cache.hpp"
#include "hub/registry/node_registry.hpp"
#include "hub/stream/event_bus.hpp"

namespace winebot::hub {

void publish_node_change(EventBus& bus, const NodeRecord& node, bool state_changed) {
  // The hub passes refreshes through NodeUpdateThrottle first, so a fleet of N nodes publishes
  // about N / 5 `node.update` events a second rather than N per poll interval.
  // Limitation: with 2,000 nodes that is still 400 a second, so the 1000-event ring covers only
  // 2.5 s of history. A ring sized by time, or one entry per node, would lift this.
  if (!state_changed || node.history.empty()) {
    bus.publish(kNodeUpdateEvent, {{"node", listed_node(node)}});
    return;
  }
  const auto& transition = node.history.back();
  bus.publish(kNodeStateEvent, {{"id", node.id},
                                {"from", to_string(transition.from)},
                                {"to", to_string(transition.to)},
                                {"reason", transition.reason},
                                {"at_ms", transition.at_ms},
                                {"node", listed_node(node)}});
}

void publish_node_removal(EventBus& bus, const std::string& node_id, const std::string& reason) {
  bus.publish(kNodeRemovedEvent, {{"id", node_id}, {"reason", reason}});
}

void publish_ingest(EventBus& bus, const IngestCommit& commit) {
  auto newest = nlohmann::json::array();
  for (std::size_t index = 0; index < commit.newest_positions.size(); ++index) {
    auto event = nlohmann::json::parse(commit.newest_bodies[index], nullptr, false);
    newest.push_back({{"position", commit.newest_positions[index]},
                      {"event", event.is_discarded() ? nlohmann::json() : std::move(event)}});
  }
  bus.publish(kIngestEvent, {{"node_id", commit.node_id},
                             {"stream", commit.stream},
                             {"count", commit.count},
                             {"newest", std::move(newest)}});
}

NodeStore::CommitListener make_ingest_publisher(boost::asio::io_context& io, EventBus& bus) {
  return [&io, &bus](std::vector<IngestCommit> commits) {
    boost::asio::post(io, [&bus, commits = std::move(commits)] {
      for (const auto& commit : commits) {
        publish_ingest(bus, commit);
      }
    });
  };
}

}  // namespace winebot::hub

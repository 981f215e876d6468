#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/mdns/txt_record.hpp"

namespace winebot::hub {

// State of a node as the hub's own probes judge it. An advertisement alone proves nothing.
//   discovered: advertised, not probed yet
//   online:     answered the last probe in time
//   degraded:   answered slowly, or missed probes for less than the offline delay
//   offline:    no answer for at least the offline delay, or silent after its advertisement
//               disappeared without a clean stop (a crash: the daemon withdraws a dead client's
//               records too)
//   gone:       stopped cleanly: it answered a probe with `stopping: true`, then went silent
enum class NodeState { kDiscovered, kOnline, kDegraded, kOffline, kGone };

const char* to_string(NodeState state);
std::optional<NodeState> parse_node_state(std::string_view text);

// One way to reach a node: an mDNS sighting (one interface and IP protocol) or a stored address.
struct NodeEndpoint {
  std::string key;  // Sighting key; unique per source.
  // "avahi"; "last-known" for a withdrawn sighting's address; "stored" for one loaded from the
  // database at start-up.
  std::string source;
  std::string address;
  std::uint16_t port = 0;
  std::string interface_name;
  bool ipv6 = false;
  std::string instance_name;
  std::string host_name;
  std::string service_type;
};

struct StateTransition {
  std::int64_t at_ms = 0;
  NodeState from = NodeState::kDiscovered;
  NodeState to = NodeState::kDiscovered;
  std::string reason;
};

struct NodeRecord {
  std::string id;       // TXT node_id, or "legacy:INSTANCE@HOST" for nodes without one.
  bool legacy = false;  // Advertised without a node_id (WineBot's own mDNS).
  std::string name;
  std::vector<NodeEndpoint> sightings;         // Current advertisements.
  std::vector<NodeEndpoint> stored_endpoints;  // Withdrawn or remembered addresses.
  shared::TxtRecord txt;
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;  // Newest sighting or successful probe.
  NodeState state = NodeState::kDiscovered;
  std::string state_reason;
  std::int64_t state_since_ms = 0;
  std::deque<StateTransition> history;  // Newest last, at most kMaxHistory entries.
  std::int64_t last_ok_ms = 0;
  int consecutive_failures = 0;
  bool stop_announced = false;  // The newest successful probe returned `stopping: true`.
  double last_latency_ms = 0;
  nlohmann::json last_state;  // Body of the newest successful GET /state.

  bool advertised() const { return !sightings.empty(); }
  // Endpoints to probe, best first: current sightings before remembered addresses, IPv4 before
  // IPv6, IPv6 link-local last.
  std::vector<NodeEndpoint> probe_order() const;
};

struct RegistrySettings {
  std::int64_t offline_after_ms = 2000;  // Without a successful probe: degraded, then offline.
  double slow_answer_ms = 1000;          // A slower successful probe marks the node degraded.
};

// In-memory table of every node the hub has seen, one entry per node id however many sightings
// (interfaces, IPv4 and IPv6) report it. It holds the state machine: the poller feeds it probe
// results and discovery feeds it sightings. Time comes from an injected clock (epoch ms), so
// tests control it. Threading: belongs to the hub's io_context thread.
class NodeRegistry {
 public:
  static constexpr std::size_t kMaxHistory = 32;
  // Withdrawn addresses kept per node, so a crashed node is still probed where it last was.
  static constexpr std::size_t kMaxRememberedEndpoints = 8;

  // Called after every change to a node. `state_changed` is true for a state transition and false
  // for a refresh of the same state.
  using Listener = std::function<void(const NodeRecord& node, bool state_changed)>;

  explicit NodeRegistry(std::function<std::int64_t()> now_ms, RegistrySettings settings = {});

  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // Records a resolved sighting and returns the id of the node it belongs to.
  std::string add_sighting(const NodeEndpoint& endpoint, const shared::TxtRecord& txt);
  // Forgets a sighting; returns the id of its node when it was known.
  std::optional<std::string> remove_sighting(const std::string& key);

  // Records a successful probe; `note`, when set, replaces the default "answering" reason.
  void record_probe_success(const std::string& id, double latency_ms, nlohmann::json state,
                            const std::string& note = {});
  void record_probe_failure(const std::string& id, const std::string& error);

  // Puts back a node loaded from the store at start-up, without notifying the listener.
  void restore(NodeRecord node);

  const NodeRecord* find(const std::string& id) const;
  // Every node, ordered by name and then id.
  std::vector<const NodeRecord*> nodes() const;
  std::size_t size() const { return nodes_.size(); }

 private:
  void remember_endpoint(NodeRecord& node, NodeEndpoint endpoint);
  NodeRecord& node_for_sighting(const NodeEndpoint& endpoint, const shared::TxtRecord& txt);
  // Sets the reason and, when `next` differs, the state; returns whether the state changed.
  bool transition(NodeRecord& node, NodeState next, std::string reason);
  void notify(const NodeRecord& node, bool state_changed);

  std::function<std::int64_t()> now_ms_;
  RegistrySettings settings_;
  Listener listener_;
  std::map<std::string, NodeRecord> nodes_;
  std::map<std::string, std::string> sighting_owner_;  // Sighting key to node id.
};

// The id a sighting names: its TXT node_id when that is a UUID, else the legacy key.
std::string node_id_for(const shared::TxtRecord& txt, const std::string& instance_name,
                        const std::string& host_name, bool& legacy);

}  // namespace winebot::hub

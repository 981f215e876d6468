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

#include "hub/auth/node_tokens.hpp"
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
  // "avahi", "srv" or "static" for a current sighting; "last-known" for a withdrawn sighting's
  // address; "stored" for one loaded from the database at start-up.
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
  // TXT node_id, "legacy:INSTANCE@HOST" for nodes without one, or "address:HOST:PORT" while
  // provisional.
  std::string id;
  bool legacy = false;  // Advertised without a node_id (WineBot's own mDNS).
  // Listed by a source without TXT (DNS SRV, static list) and not identified yet: no probe has
  // returned a node_id. Provisional nodes are never stored in the database.
  bool provisional = false;
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
  // Set by the registry to a new, fleet-wide unique value on every change, so that caches of
  // derived data (the API's serialized node) can tell a changed node from an unchanged one.
  std::uint64_t revision = 0;
  // Whether the hub has the token this node expects; kept current by the registry's TokenCheck.
  TokenStatus token_status = TokenStatus::kNone;

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
// (interfaces, IPv4 and IPv6) report it. It contains the state machine: the poller feeds it probe
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
  // Called after a provisional node left the table: it lost its last sighting, or it merged into
  // the node that its probe identified. `reason` says which.
  using RemovalListener =
      std::function<void(const std::string& node_id, const std::string& reason)>;
  // Called after a provisional node took the id its probe returned. `provisional_id` no longer
  // exists, and its sightings now belong to `node_id`.
  using IdentityListener =
      std::function<void(const std::string& provisional_id, const std::string& node_id)>;

  // Judges a node's token status from its id and TXT; see NodeTokens::status_for.
  using TokenCheck = std::function<TokenStatus(const NodeRecord& node)>;

  explicit NodeRegistry(std::function<std::int64_t()> now_ms, RegistrySettings settings = {});

  // Listeners run in the order they were added, on the caller's thread, after each change.
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }
  void add_removal_listener(RemovalListener listener) {
    removal_listeners_.push_back(std::move(listener));
  }
  void set_identity_listener(IdentityListener listener) {
    identity_listener_ = std::move(listener);
  }
  // Set before restoring nodes: every change to a node, and every restore, applies it.
  void set_token_check(TokenCheck check) { token_check_ = std::move(check); }

  // Records a resolved sighting and returns the id of the node it belongs to.
  std::string add_sighting(const NodeEndpoint& endpoint, const shared::TxtRecord& txt);
  // Records a sighting from a source that carries no TXT (DNS SRV, static list) and returns the
  // id of the node it belongs to. A key seen before stays with the node that owns it. A new key
  // goes to the provisional node of its address, "address:HOST:PORT", created when missing.
  // The first successful probe that returns a UUID node_id moves the provisional node's
  // sightings to that node, creating it or merging into an existing one, and deletes the
  // provisional node.
  // NOTE: a known node that is down when its address is listed again (after a hub restart, say)
  // shows twice until it answers: as itself, and as the provisional node of that address.
  std::string add_address_sighting(const NodeEndpoint& endpoint);
  // Forgets a sighting; returns the id of its node when it was known. A provisional node that
  // loses its last sighting is deleted, because it has no identity worth remembering.
  std::optional<std::string> remove_sighting(const std::string& key);

  // Records a successful probe; `note`, when set, replaces the default "answering" reason.
  // On a provisional node, a UUID node_id in `state` first merges it into that node.
  void record_probe_success(const std::string& id, double latency_ms, nlohmann::json state,
                            const std::string& note = {});
  void record_probe_failure(const std::string& id, const std::string& error);

  // Puts back a node loaded from the store at start-up, without notifying the listener.
  void restore(NodeRecord node);

  const NodeRecord* find(const std::string& id) const;
  // Every node, ordered by name and then id.
  std::vector<const NodeRecord*> nodes() const;
  std::size_t size() const { return nodes_.size(); }
  // A number that grows whenever any node changes or leaves the table, so a cache of data
  // derived from the whole table can tell when to rebuild.
  std::uint64_t revision() const { return last_revision_; }

 private:
  void remember_endpoint(NodeRecord& node, NodeEndpoint endpoint);
  NodeRecord& node_for_sighting(const NodeEndpoint& endpoint, const shared::TxtRecord& txt);
  // Adds the sighting to `node`, or replaces the one with the same key, and records its owner.
  void attach_sighting(NodeRecord& node, const NodeEndpoint& endpoint);
  // Moves a provisional node's sightings to the node `node_id` and deletes the provisional node;
  // returns the merged node.
  NodeRecord& identify(const std::string& provisional_id, const std::string& node_id);
  // Sets the reason and, when `next` differs, the state; returns whether the state changed.
  bool transition(NodeRecord& node, NodeState next, std::string reason);
  // Refreshes the node's token status, then calls the listeners.
  void notify(NodeRecord& node, bool state_changed);
  void notify_removed(const std::string& node_id, const std::string& reason);

  std::function<std::int64_t()> now_ms_;
  RegistrySettings settings_;
  std::vector<Listener> listeners_;
  std::vector<RemovalListener> removal_listeners_;
  IdentityListener identity_listener_;
  TokenCheck token_check_;
  std::map<std::string, NodeRecord> nodes_;
  std::uint64_t last_revision_ = 0;
  std::map<std::string, std::string> sighting_owner_;  // Sighting key to node id.
};

// The id a sighting names: its TXT node_id when that is a UUID, else the legacy key.
std::string node_id_for(const shared::TxtRecord& txt, const std::string& instance_name,
                        const std::string& host_name, bool& legacy);

// The id of the provisional node for an address: "address:HOST:PORT", IPv6 in brackets.
std::string provisional_node_id(const std::string& address, std::uint16_t port);

}  // namespace winebot::hub

#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace winebot::hub {

class NodeRegistry;
class NodeStore;
class NodeTokens;

struct PollSettings {
  std::chrono::milliseconds interval{1000};
  double jitter = 0.1;  // Each wait is the interval times a random factor in [1 - j, 1 + j].
  std::chrono::milliseconds request_timeout{1000};
  // Offline nodes are probed less often, doubling up to this; a new sighting probes at once.
  std::chrono::milliseconds max_backoff{5000};
  // Time between two reads of a node's event streams after their cursors; 0 turns ingest off.
  std::chrono::milliseconds events_interval{5000};
  std::size_t events_per_request = 500;
  std::size_t max_pages_per_read = 20;  // A node far behind is drained over several intervals.
};

// Probes every node in the registry with GET /state, one coroutine per node, each with its own
// keep-alive connection and a deadline on every request, so a slow or garbage-answering node
// delays only itself. A node's loop ends when the node is gone and restarts on the next `poke`.
// Every `events_interval` the loop also reads the node's lifecycle, input and telemetry streams
// after their cursors and hands the records to the store. A cursor advances only when the store
// accepted the batch, so records are neither lost nor ingested twice.
// Threading: belongs to the io_context thread, like the registry it updates.
class NodePoller {
 public:
  // `store`, when given, receives the nodes' events; `cursors` are its committed cursors by node
  // id and stream, where ingest resumes. `tokens`, when given, must outlive the poller: each
  // request carries the node's token (or the fleet token) as X-API-Key.
  NodePoller(boost::asio::io_context& io, NodeRegistry& registry, PollSettings settings,
             NodeStore* store = nullptr,
             std::map<std::string, std::map<std::string, std::string>> cursors = {},
             const NodeTokens* tokens = nullptr);
  ~NodePoller();
  NodePoller(const NodePoller&) = delete;
  NodePoller& operator=(const NodePoller&) = delete;

  // Starts polling `node_id`, or makes a running loop probe now (after a sighting or a goodbye).
  void poke(const std::string& node_id);
  void stop();
  std::size_t active_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The error of a probe that no endpoint responded to, from each endpoint's "ERROR at HOST:PORT" in
// probe order, e.g. "timed out at 10.0.0.5:8000; timed out at [fe80::1%eth0]:8000". Names at most
// three endpoints and counts the rest, so that the preferred address is never hidden behind the
// last one tried.
std::string describe_endpoint_failures(const std::vector<std::string>& failures);

}  // namespace winebot::hub

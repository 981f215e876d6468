#include "hub/poller/node_poller.hpp"

#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "hub/auth/node_tokens.hpp"
#include "hub/registry/node_registry.hpp"
#include "hub/store/node_store.hpp"
#include "shared/config/host_port.hpp"
#include "shared/http/http_client.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxStateBytes = 256 * 1024;

struct ProbeOutcome {
  bool ok = false;
  double latency_ms = 0;
  nlohmann::json state;
  std::string error;
  std::string note;       // Reason to show instead of the default when the probe succeeded.
  NodeEndpoint endpoint;  // The endpoint that responded.
};

// Event streams read after their cursors: stream name and node path.
constexpr std::pair<const char*, const char*> kEventStreams[] = {
    {"lifecycle", "/lifecycle/events"},
    {"input", "/input/events"},
    {"telemetry", "/telemetry/events"},
};

}  // namespace

class NodePoller::Impl {
 public:
  Impl(asio::io_context& io, NodeRegistry& registry, PollSettings settings, NodeStore* store,
       std::map<std::string, std::map<std::string, std::string>> cursors, const NodeTokens* tokens)
      : io_(io),
        registry_(registry),
        settings_(settings),
        store_(store),
        cursors_(std::move(cursors)),
        tokens_(tokens),
        random_(std::random_device{}()) {}

  void poke(const std::string& node_id) {
    if (stopped_) {
      return;
    }
    if (const auto it = tasks_.find(node_id); it != tasks_.end()) {
      it->second->wake_requested = true;
      it->second->timer.cancel();
      return;
    }
    auto task = std::make_shared<Task>(io_, settings_);
    tasks_[node_id] = task;
    asio::co_spawn(io_, run(node_id, task), [node_id](std::exception_ptr failure) {
      if (!failure) {
        return;
      }
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        shared::log_error("poll.loop_failed",
                          {shared::field("node", node_id), shared::field("error", error.what())});
      }
    });
  }

  void stop() {
    stopped_ = true;
    for (auto& [id, task] : tasks_) {
      task->stopped = true;
      task->timer.cancel();
      task->connection.close();
    }
    tasks_.clear();
  }

  std::size_t active_count() const { return tasks_.size(); }

 private:
  struct Task {
    Task(asio::io_context& io, const PollSettings& settings)
        : timer(io),
          connection(io.get_executor(),
                     shared::HttpClientLimits{settings.request_timeout, kMaxStateBytes}) {}

    asio::steady_timer timer;
    shared::HttpConnection connection;
    bool wake_requested = false;
    bool stopped = false;
    std::chrono::steady_clock::time_point next_ingest{};
  };

  // The X-API-Key header for `node_id`, or none when the hub has no token for it. A provisional
  // node's id is its address, so only the fleet token applies to it.
  std::vector<std::pair<std::string, std::string>> auth_headers(const std::string& node_id) const {
    if (tokens_ == nullptr) {
      return {};
    }
    const auto token = tokens_->token_for(node_id);
    if (!token) {
      return {};
    }
    return {{"X-API-Key", *token}};
  }

  asio::awaitable<ProbeOutcome> probe(const NodeRecord& node, Task& task) {
    ProbeOutcome outcome;
    const auto endpoints = node.probe_order();
    const auto headers = auth_headers(node.id);
    if (endpoints.empty()) {
      outcome.error = "no known address";
      co_return outcome;
    }
    std::vector<std::string> failures;
    for (const auto& endpoint : endpoints) {
      const auto result = co_await task.connection.request(endpoint.address, endpoint.port, "GET",
                                                           "/state", {}, headers);
      outcome.latency_ms = result.elapsed_ms;
      if (!result.ok) {
        failures.push_back(result.error + " at " +
                           shared::HostPort{endpoint.address, endpoint.port}.to_string());
        outcome.error = describe_endpoint_failures(failures);
        continue;
      }
      if (result.status == 401 || result.status == 403) {
        // The node is alive but protects /state with a token: the hub sent none, or a wrong one.
        outcome.ok = true;
        outcome.state = nlohmann::json::object();
        outcome.note = headers.empty()
                           ? "answering, but GET /state requires an API token the hub does not hold"
                           : "answering, but GET /state rejected the API token the hub holds";
        co_return outcome;
      }
      if (result.status != 200) {
        outcome.error = "GET /state returned HTTP " + std::to_string(result.status);
        co_return outcome;
      }
      auto state = nlohmann::json::parse(result.body, nullptr, false);
      if (!state.is_object()) {
        outcome.error = "GET /state returned a body that is not a JSON object";
        co_return outcome;
      }
      outcome.ok = true;
      outcome.state = std::move(state);
      outcome.endpoint = endpoint;
      co_return outcome;
    }
    co_return outcome;
  }

  // Reads one stream after its cursor, page by page, and queues each page in the store.
  asio::awaitable<void> ingest_stream(const std::string& node_id, const NodeEndpoint& endpoint,
                                      const char* stream, const char* path, Task& task) {
    auto& cursor = cursors_[node_id][stream];
    if (auto rewind = store_->take_rewind(node_id, stream)) {
      cursor = *rewind;
    }
    const auto headers = auth_headers(node_id);
    // Records per page for this stream. A page over the client's body limit halves it, down to
    // one record, and a full page lets it grow back.
    auto& page_limit = page_limits_[node_id][stream];
    if (page_limit == 0) {
      page_limit = settings_.events_per_request;
    }
    for (std::size_t page = 0; page < settings_.max_pages_per_read; ++page) {
      const std::string target =
          std::string(path) + "?after=" + cursor + "&limit=" + std::to_string(page_limit);
      const auto result = co_await task.connection.request(endpoint.address, endpoint.port, "GET",
                                                           target, {}, headers);
      if (result.body_too_large && page_limit > 1) {
        page_limit = std::max<std::size_t>(1, page_limit / 2);
        continue;
      }
      if (result.body_too_large) {
        // NOTE: one record over the body limit stops this stream until the node's log rotates,
        // because the cursor cannot move past a record it never received.
        shared::log_error("ingest.record_too_large",
                          {shared::field("node", node_id), shared::field("stream", stream),
                           shared::field("cursor", cursor), shared::field("error", result.error)});
        co_return;
      }
      if (!result.ok || result.status != 200) {
        co_return;  // Probing reports the node's health; ingest just tries again later.
      }
      const auto body = nlohmann::json::parse(result.body, nullptr, false);
      if (!body.is_object() || !body["events"].is_array() || !body["positions"].is_array() ||
          !body["next"].is_string() || body["events"].size() != body["positions"].size()) {
        shared::log_warn("ingest.bad_response",
                         {shared::field("node", node_id), shared::field("stream", stream)});
        co_return;
      }

      IngestBatch batch;
      batch.node_id = node_id;
      batch.stream = stream;
      batch.next_cursor = body["next"].get<std::string>();
      for (std::size_t index = 0; index < body["events"].size(); ++index) {
        const auto& event = body["events"][index];
        batch.positions.push_back(body["positions"][index].get<std::string>());
        batch.bodies.push_back(
            event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        const auto stamp = event.is_object() ? event.value("timestamp_epoch_ms", nlohmann::json(0))
                                             : nlohmann::json(0);
        batch.event_ms.push_back(stamp.is_number() ? stamp.get<std::int64_t>() : 0);
      }
      const bool full_page = batch.positions.size() >= page_limit;
      if (full_page) {
        page_limit = std::min(settings_.events_per_request, page_limit * 2);
      }
      const auto next = batch.next_cursor;
      if (batch.positions.empty() && next == cursor) {
        co_return;
      }
      if (!store_->ingest(std::move(batch))) {
        co_return;  // The store is busy or rewinding; read again from `cursor` later.
      }
      cursor = next;
      if (!full_page) {
        co_return;
      }
    }
  }

  asio::awaitable<void> ingest_events(const std::string& node_id, const NodeEndpoint& endpoint,
                                      Task& task) {
    for (const auto& [stream, path] : kEventStreams) {
      if (task.stopped) {
        co_return;
      }
      co_await ingest_stream(node_id, endpoint, stream, path, task);
    }
  }

  std::chrono::milliseconds next_delay(const NodeRecord& node) {
    auto delay = settings_.interval;
    if (node.state == NodeState::kOffline) {
      const int doublings = std::min(node.consecutive_failures, 6);
      delay = std::min(settings_.interval * (1 << doublings), settings_.max_backoff);
    }
    std::uniform_real_distribution<double> factor(1.0 - settings_.jitter, 1.0 + settings_.jitter);
    return std::chrono::milliseconds(static_cast<long long>(delay.count() * factor(random_)));
  }

  asio::awaitable<void> run(std::string node_id, std::shared_ptr<Task> task) {
    while (!task->stopped) {
      task->wake_requested = false;
      const NodeRecord* node = registry_.find(node_id);
      if (node == nullptr) {
        break;
      }
      // The next probe is due an interval after this one starts, not after it ends, so a slow
      // response or an event read delays this node's next state by no more than its own length.
      const auto probe_started = std::chrono::steady_clock::now();
      auto outcome = co_await probe(*node, *task);
      if (task->stopped) {
        break;
      }
      if (outcome.ok) {
        registry_.record_probe_success(node_id, outcome.latency_ms, std::move(outcome.state),
                                       outcome.note);
        // A provisional node merges into its real id on this probe, and that id's own loop
        // ingests. Ingesting here would store the records under an address.
        const NodeRecord* current = registry_.find(node_id);
        const auto now = std::chrono::steady_clock::now();
        const bool ingest_due = store_ != nullptr && settings_.events_interval.count() > 0 &&
                                current != nullptr && !current->provisional &&
                                outcome.note.empty() && now >= task->next_ingest;
        if (ingest_due) {
          task->next_ingest = now + settings_.events_interval;
          co_await ingest_events(node_id, outcome.endpoint, *task);
        }
      } else {
        registry_.record_probe_failure(node_id, outcome.error);
      }

      node = registry_.find(node_id);
      if (node == nullptr || node->state == NodeState::kGone) {
        break;
      }
      if (task->wake_requested) {
        continue;
      }
      task->timer.expires_at(probe_started + next_delay(*node));
      co_await task->timer.async_wait(kUseTuple);
    }
    if (const auto it = tasks_.find(node_id); it != tasks_.end() && it->second == task) {
      tasks_.erase(it);
    }
  }

  asio::io_context& io_;
  NodeRegistry& registry_;
  PollSettings settings_;
  NodeStore* store_;
  std::map<std::string, std::map<std::string, std::string>> cursors_;
  std::map<std::string, std::map<std::string, std::size_t>> page_limits_;  // 0: not set yet.
  const NodeTokens* tokens_;
  std::mt19937 random_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  bool stopped_ = false;
};

NodePoller::NodePoller(asio::io_context& io, NodeRegistry& registry, PollSettings settings,
                       NodeStore* store,
                       std::map<std::string, std::map<std::string, std::string>> cursors,
                       const NodeTokens* tokens)
    : impl_(std::make_unique<Impl>(io, registry, settings, store, std::move(cursors), tokens)) {}

NodePoller::~NodePoller() = default;

void NodePoller::poke(const std::string& node_id) {
  impl_->poke(node_id);
}

void NodePoller::stop() {
  impl_->stop();
}

std::size_t NodePoller::active_count() const {
  return impl_->active_count();
}

std::string describe_endpoint_failures(const std::vector<std::string>& failures) {
  constexpr std::size_t kMaxNamed = 3;
  std::string text;
  for (std::size_t index = 0; index < failures.size() && index < kMaxNamed; ++index) {
    if (index > 0) {
      text += "; ";
    }
    text += failures[index];
  }
  if (failures.size() > kMaxNamed) {
    text += "; and " + std::to_string(failures.size() - kMaxNamed) + " more addresses";
  }
  return text;
}

}  // namespace winebot::hub

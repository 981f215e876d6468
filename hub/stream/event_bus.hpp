#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hub/stream/bus_subscription.hpp"

namespace winebot::hub {

// Fan-out of hub events to the clients of GET /api/stream. Each event gets the next id, and the
// newest `ring_capacity` events stay in a ring, so that a client reconnecting with a
// Last-Event-ID first receives the events it missed.
//
// Resume rule: an id from `oldest - 1` up to the newest replays every later event from the ring,
// through the client's bounded queue, so a gap longer than the queue is reported as `dropped`.
// An id outside that range (older than the ring, newer than any published event, from an earlier
// hub run) or one that is not a decimal number gets a `reset` event first instead.
//
// Ids start at `first_id`. The hub passes its start time in epoch ms times 1000, so ids keep
// increasing across restarts and an id from an earlier run never names a current event.
//
// Threading: belongs to the hub's io_context thread. Publishers from other threads must post.
class EventBus {
 public:
  static constexpr std::size_t kRingCapacity = 1000;

  explicit EventBus(std::uint64_t first_id = 1, std::size_t ring_capacity = kRingCapacity,
                    std::size_t queue_capacity = BusSubscription::kMaxQueuedEvents);

  // Stores `data` as the next event of type `type` and queues it for every subscriber. Returns
  // the event's id.
  std::uint64_t publish(std::string type, const nlohmann::json& data);

  // Registers a new client. `last_event_id` is the client's Last-Event-ID, or nullopt for a first
  // connection, which receives only events published from now on.
  std::shared_ptr<BusSubscription> subscribe(const std::optional<std::string>& last_event_id);

  // The newest id, or `first_id - 1` before the first event.
  std::uint64_t last_id() const { return next_id_ - 1; }
  std::size_t subscriber_count() const;
  // Events dropped from every client's queue since the bus was created.
  std::uint64_t dropped_total() const { return dropped_total_; }
  std::size_t ring_size() const { return ring_.size(); }

 private:
  void replay_or_reset(BusSubscription& subscription, std::string_view last_event_id);
  void prune_closed();

  std::uint64_t next_id_;
  std::size_t ring_capacity_;
  std::size_t queue_capacity_;
  std::deque<HubEvent> ring_;  // Oldest first.
  // The server owns each subscription for as long as its stream is open.
  std::vector<std::weak_ptr<BusSubscription>> subscribers_;
  std::uint64_t next_client_id_ = 1;
  std::uint64_t dropped_total_ = 0;
};

// Parses a Last-Event-ID: a decimal number without sign or spaces. nullopt when malformed or out
// of range.
std::optional<std::uint64_t> parse_event_id(std::string_view text);

}  // namespace winebot::hub

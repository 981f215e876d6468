#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "shared/http/event_stream.hpp"

namespace winebot::hub {

// One event the hub publishes to dashboards. `data` is JSON text.
struct HubEvent {
  std::uint64_t id = 0;
  std::string type;
  std::string data;
};

// One client's queue of hub events, written to it as a `text/event-stream` body.
//
// Slow-client policy: the queue contains at most `capacity` events. The server takes them only when
// its previous write to the client finished, so a client that reads slower than the hub publishes
// fills the queue. An event pushed onto a full queue evicts the oldest queued event, which is
// counted as dropped, because the newest events describe the current state best. The next text
// taken then begins with a `dropped` event (no id) whose data carries the count since the
// previous notice, the client's total and the range of ids lost, so the client knows to reload
// the state or reconnect with its Last-Event-ID.
//
// Threading: belongs to the hub's io_context thread, like the server that drives it.
class BusSubscription : public shared::EventStream {
 public:
  static constexpr std::size_t kMaxQueuedEvents = 256;

  BusSubscription(std::uint64_t client_id, std::size_t capacity = kMaxQueuedEvents);

  // Queues `event`. Returns true when the queue was full and its oldest event was dropped.
  bool push(HubEvent event);
  // Queues a `reset` event ahead of everything else: the client must reload the full state,
  // because the events it missed are no longer in the ring. `id`, when not 0, is the newest
  // published id, from which a later reconnection resumes.
  void push_reset(std::uint64_t id, std::string data);

  std::string take_pending() override;
  void on_closed() override;

  std::uint64_t client_id() const { return client_id_; }
  bool closed() const { return closed_; }
  std::size_t queued_count() const { return queue_.size(); }
  // Events dropped from this client's queue since it subscribed.
  std::uint64_t dropped_count() const { return dropped_total_; }

 private:
  std::string take_drop_notice();

  std::uint64_t client_id_;
  std::size_t capacity_;
  std::deque<HubEvent> queue_;
  std::string reset_text_;  // A formatted `reset` event still to send, or empty.
  std::uint64_t dropped_total_ = 0;
  std::uint64_t dropped_unreported_ = 0;  // Dropped since the last `dropped` event was taken.
  std::uint64_t first_unreported_id_ = 0;
  std::uint64_t last_unreported_id_ = 0;
  bool closed_ = false;
};

}  // namespace winebot::hub

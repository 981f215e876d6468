#include "hub/stream/event_bus.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "shared/log/logger.hpp"

namespace winebot::hub {

std::optional<std::uint64_t> parse_event_id(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    return std::nullopt;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

EventBus::EventBus(std::uint64_t first_id, std::size_t ring_capacity, std::size_t queue_capacity)
    : next_id_(first_id > 0 ? first_id : 1),
      ring_capacity_(ring_capacity > 0 ? ring_capacity : 1),
      queue_capacity_(queue_capacity) {}

std::uint64_t EventBus::publish(std::string type, const nlohmann::json& data) {
  HubEvent event{next_id_++, std::move(type),
                 data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  prune_closed();
  for (const auto& weak : subscribers_) {
    if (auto subscription = weak.lock(); subscription && subscription->push(event)) {
      ++dropped_total_;
    }
  }
  ring_.push_back(std::move(event));
  while (ring_.size() > ring_capacity_) {
    ring_.pop_front();
  }
  return ring_.back().id;
}

std::shared_ptr<BusSubscription> EventBus::subscribe(
    const std::optional<std::string>& last_event_id) {
  prune_closed();
  auto subscription = std::make_shared<BusSubscription>(next_client_id_++, queue_capacity_);
  if (last_event_id) {
    replay_or_reset(*subscription, *last_event_id);
  }
  subscribers_.push_back(subscription);
  return subscription;
}

void EventBus::replay_or_reset(BusSubscription& subscription, std::string_view last_event_id) {
  const auto requested = parse_event_id(last_event_id);
  const std::uint64_t oldest = ring_.empty() ? next_id_ : ring_.front().id;
  if (requested && *requested + 1 >= oldest && *requested <= last_id()) {
    for (const auto& event : ring_) {
      if (event.id > *requested && subscription.push(event)) {
        ++dropped_total_;
      }
    }
    return;
  }

  const std::string reason = !requested ? "Last-Event-ID is not a decimal event id"
                             : *requested > last_id()
                                 ? "Last-Event-ID is newer than any event of this hub run"
                                 : "Last-Event-ID is older than the events the hub keeps";
  const nlohmann::json data = {
      {"reason", reason},
      {"last_event_id", std::string(last_event_id)},
      {"oldest_id", ring_.empty() ? nlohmann::json() : nlohmann::json(oldest)}};
  subscription.push_reset(ring_.empty() ? 0 : last_id(), data.dump());
  shared::log_debug(
      "stream.reset",
      {shared::field("client", static_cast<long long>(subscription.client_id())),
       shared::field("last_event_id", last_event_id), shared::field("reason", reason)});
}

std::size_t EventBus::subscriber_count() const {
  return static_cast<std::size_t>(
      std::count_if(subscribers_.begin(), subscribers_.end(), [](const auto& weak) {
        const auto subscription = weak.lock();
        return subscription && !subscription->closed();
      }));
}

void EventBus::prune_closed() {
  std::erase_if(subscribers_, [](const auto& weak) {
    const auto subscription = weak.lock();
    return !subscription || subscription->closed();
  });
}

}  // namespace winebot::hub

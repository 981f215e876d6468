#include "hub/stream/bus_subscription.hpp"

#include <nlohmann/json.hpp>

#include "shared/http/server_sent_event.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {

BusSubscription::BusSubscription(std::uint64_t client_id, std::size_t capacity)
    : client_id_(client_id), capacity_(capacity > 0 ? capacity : 1) {}

bool BusSubscription::push(HubEvent event) {
  bool dropped = false;
  if (queue_.size() >= capacity_) {
    const auto& oldest = queue_.front();
    if (dropped_unreported_ == 0) {
      first_unreported_id_ = oldest.id;
    }
    last_unreported_id_ = oldest.id;
    ++dropped_unreported_;
    ++dropped_total_;
    queue_.pop_front();
    dropped = true;
  }
  queue_.push_back(std::move(event));
  wake();
  return dropped;
}

void BusSubscription::push_reset(std::uint64_t id, std::string data) {
  shared::ServerSentEvent reset{id == 0 ? std::string() : std::to_string(id), "reset",
                                std::move(data)};
  reset_text_ = shared::format_event(reset);
  wake();
}

std::string BusSubscription::take_drop_notice() {
  if (dropped_unreported_ == 0) {
    return {};
  }
  const nlohmann::json data = {{"count", dropped_unreported_},
                               {"client_total", dropped_total_},
                               {"first_id", first_unreported_id_},
                               {"last_id", last_unreported_id_}};
  dropped_unreported_ = 0;
  return shared::format_event({"", "dropped", data.dump()});
}

std::string BusSubscription::take_pending() {
  std::string text = std::move(reset_text_);
  reset_text_.clear();
  text += take_drop_notice();
  for (const auto& event : queue_) {
    text += shared::format_event({std::to_string(event.id), event.type, event.data});
  }
  queue_.clear();
  return text;
}

void BusSubscription::on_closed() {
  closed_ = true;
  queue_.clear();
  shared::log_debug("stream.client_closed",
                    {shared::field("client", static_cast<long long>(client_id_)),
                     shared::field("dropped", static_cast<long long>(dropped_total_))});
}

}  // namespace winebot::hub

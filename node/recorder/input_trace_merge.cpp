#include "node/recorder/input_trace_merge.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <set>

namespace winebot::node {
namespace {

using nlohmann::json;

// Event names that mean a person or an agent acted; pointer motion and releases are left out.
const std::set<std::string> kActionEvents = {"button_press",    "key_press",   "client_mouse_down",
                                             "client_key_down", "agent_click", "mouse_down",
                                             "key_down",        "vnc_key"};

struct TraceLog {
  const char* file;
  const char* layer;
};
constexpr TraceLog kTraceLogs[] = {{"input_events.jsonl", "api"},
                                   {"input_events_client.jsonl", "client"},
                                   {"input_events_windows.jsonl", "windows"},
                                   {"input_events_network.jsonl", "network"}};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  return text;
}

bool is_sensitive(const std::string& key, const std::vector<std::string>& fields) {
  const auto name = lower(key);
  if (std::find(fields.begin(), fields.end(), name) != fields.end()) {
    return true;
  }
  for (const char* word : {"password", "secret", "token", "key"}) {
    if (name.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string event_name(const json& record) {
  for (const char* key : {"event", "type"}) {
    if (const auto it = record.find(key); it != record.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return "";
}

bool is_action(const json& record, const std::string& name) {
  if (name == "vnc_pointer") {
    const auto mask = record.find("button_mask");
    return mask != record.end() && mask->is_number() && mask->get<double>() != 0;
  }
  return kActionEvents.count(name) > 0;
}

std::optional<std::int64_t> wall_time_ms(const json& record) {
  for (const char* key : {"t_wall_ms", "timestamp_epoch_ms"}) {
    if (const auto it = record.find(key); it != record.end() && it->is_number()) {
      return static_cast<std::int64_t>(it->get<double>());
    }
  }
  return std::nullopt;
}

std::string value_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string describe(const std::string& name, const json& redacted) {
  std::string message = name;
  const std::pair<const char*, const char*> parts[] = {
      {"button", "button="},   {"button_mask", "mask="}, {"key", "key="},
      {"keycode", "keycode="}, {"origin", "origin="},    {"tool", "tool="}};
  for (const auto& [key, label] : parts) {
    if (const auto it = redacted.find(key); it != redacted.end() && !it->is_null()) {
      message += std::string(" ") + label + value_text(*it);
    }
  }
  return message;
}

RecorderEvent to_event(const json& record, const std::string& name, const char* layer,
                       std::int64_t wall_ms, std::int64_t segment_start_ms,
                       const std::string& session_id, const InputTraceSettings& settings) {
  const json redacted = settings.redact ? redact_fields(record, settings.redact_fields) : record;
  RecorderEvent event;
  event.session_id = session_id;
  event.t_rel_ms = std::max<std::int64_t>(0, wall_ms - segment_start_ms);
  event.t_epoch_ms = wall_ms;
  event.kind = "input";
  event.message = describe(name, redacted);
  const auto x = record.find("x");
  const auto y = record.find("y");
  if (x != record.end() && y != record.end() && x->is_number() && y->is_number()) {
    event.pos = EventPosition{x->get<double>(), y->get<double>(), std::nullopt, std::nullopt};
  }
  event.tags = {"input", layer};
  event.source = layer;
  event.extra = redacted;
  return event;
}

}  // namespace

json redact_fields(const json& value, const std::vector<std::string>& fields) {
  if (value.is_array()) {
    json copy = json::array();
    for (const auto& item : value) {
      copy.push_back(redact_fields(item, fields));
    }
    return copy;
  }
  if (!value.is_object()) {
    return value;
  }
  json copy = json::object();
  for (const auto& [key, item] : value.items()) {
    const bool keep_as_is = item.is_number() || item.is_boolean() || item.is_null();
    if (is_sensitive(key, fields) && !keep_as_is) {
      copy[key] = "<redacted>";
    } else {
      copy[key] = redact_fields(item, fields);
    }
  }
  return copy;
}

std::vector<RecorderEvent> load_input_trace_events(const std::filesystem::path& session_dir,
                                                   const std::string& session_id,
                                                   std::int64_t segment_start_ms,
                                                   std::int64_t segment_stop_ms,
                                                   const InputTraceSettings& settings) {
  std::deque<RecorderEvent> kept;
  std::uint64_t budget = settings.max_load_bytes;
  for (const auto& log : kTraceLogs) {
    std::ifstream input(session_dir / "logs" / log.file, std::ios::binary);
    std::string line;
    while (budget > 0 && std::getline(input, line)) {
      budget -= std::min<std::uint64_t>(budget, line.size() + 1);
      const json record = json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        continue;
      }
      const auto name = event_name(record);
      const auto wall_ms = wall_time_ms(record);
      if (!is_action(record, name) || !wall_ms || *wall_ms < segment_start_ms ||
          *wall_ms > segment_stop_ms) {
        continue;
      }
      kept.push_back(
          to_event(record, name, log.layer, *wall_ms, segment_start_ms, session_id, settings));
      if (settings.max_events > 0 && kept.size() > static_cast<std::size_t>(settings.max_events)) {
        kept.pop_front();
      }
    }
  }
  std::vector<RecorderEvent> events(kept.begin(), kept.end());
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.t_rel_ms < b.t_rel_ms; });
  return events;
}

}  // namespace winebot::node

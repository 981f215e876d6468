#include "node/recorder/recorder_event.hpp"

#include <cmath>
#include <fstream>

namespace winebot::node {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Whole numbers are written without a fraction, as WineBot's Python writes its integers.
ordered_json number_json(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9.0e15) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

ordered_json position_json(const EventPosition& pos) {
  ordered_json object{{"x", number_json(pos.x)}, {"y", number_json(pos.y)}};
  if (pos.width) {
    object["w"] = number_json(*pos.width);
  }
  if (pos.height) {
    object["h"] = number_json(*pos.height);
  }
  return object;
}

std::optional<double> number_at(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) {
    return std::nullopt;
  }
  return it->get<double>();
}

std::int64_t milliseconds_at(const json& object, const char* key) {
  const auto value = number_at(object, key);
  if (!value || !std::isfinite(*value)) {
    return 0;
  }
  return static_cast<std::int64_t>(*value);
}

std::string text_at(const json& object, const char* key, std::string fallback = {}) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return fallback;
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::optional<EventPosition> position_at(const json& object) {
  const auto it = object.find("pos");
  if (it == object.end() || !it->is_object()) {
    return std::nullopt;
  }
  const auto x = number_at(*it, "x");
  const auto y = number_at(*it, "y");
  if (!x || !y) {
    return std::nullopt;
  }
  return EventPosition{*x, *y, number_at(*it, "w"), number_at(*it, "h")};
}

std::vector<std::string> tags_at(const json& object) {
  std::vector<std::string> tags;
  const auto it = object.find("tags");
  if (it != object.end() && it->is_array()) {
    for (const auto& tag : *it) {
      tags.push_back(tag.is_string() ? tag.get<std::string>() : tag.dump());
    }
  }
  return tags;
}

}  // namespace

std::string format_recorder_event(const RecorderEvent& event) {
  ordered_json line;
  line["session_id"] = event.session_id;
  line["t_rel_ms"] = event.t_rel_ms;
  line["t_epoch_ms"] = event.t_epoch_ms;
  line["level"] = event.level;
  line["kind"] = event.kind;
  line["message"] = event.message;
  if (event.pos) {
    line["pos"] = position_json(*event.pos);
  }
  if (event.style) {
    line["style"] = *event.style;
  }
  line["tags"] = event.tags;
  if (event.source) {
    line["source"] = *event.source;
  }
  line["extra"] = event.extra.is_object() ? event.extra : json::object();
  line["schema_version"] = event.schema_version;
  return line.dump(-1, ' ', true, json::error_handler_t::replace);
}

std::optional<RecorderEvent> parse_recorder_event(std::string_view line) {
  const json object = json::parse(line, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return std::nullopt;
  }
  RecorderEvent event;
  event.session_id = text_at(object, "session_id");
  event.t_rel_ms = milliseconds_at(object, "t_rel_ms");
  event.t_epoch_ms = milliseconds_at(object, "t_epoch_ms");
  event.level = text_at(object, "level", "INFO");
  event.kind = text_at(object, "kind");
  event.message = text_at(object, "message");
  event.pos = position_at(object);
  if (const auto style = object.find("style"); style != object.end() && !style->is_null()) {
    event.style = *style;
  }
  event.tags = tags_at(object);
  if (const auto source = object.find("source"); source != object.end() && source->is_string()) {
    event.source = source->get<std::string>();
  }
  if (const auto extra = object.find("extra"); extra != object.end() && extra->is_object()) {
    event.extra = *extra;
  }
  event.schema_version = text_at(object, "schema_version", "1.0");
  return event;
}

std::vector<RecorderEvent> read_recorder_events(const std::string& path) {
  std::vector<RecorderEvent> events;
  std::ifstream input(path, std::ios::binary);
  std::string line;
  while (std::getline(input, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    if (auto event = parse_recorder_event(line)) {
      events.push_back(std::move(*event));
    }
  }
  return events;
}

}  // namespace winebot::node

#include "hub/api/node_query.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "shared/config/option_parser.hpp"

namespace winebot::hub {
namespace {

struct SortName {
  const char* name;
  NodeSortKey key;
};

constexpr SortName kSortNames[] = {
    {"name", NodeSortKey::kName},          {"id", NodeSortKey::kId},
    {"state", NodeSortKey::kState},        {"recorder", NodeSortKey::kRecorder},
    {"last_seen", NodeSortKey::kLastSeen}, {"first_seen", NodeSortKey::kFirstSeen},
    {"version", NodeSortKey::kVersion}};

constexpr const char* kRecorderStates[] = {"disabled", "idle",    "recording", "paused",
                                           "stopping", "stalled", "unknown"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return "";
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    if (auto item = trim(text.substr(start, comma - start)); !item.empty()) {
      items.push_back(std::move(item));
    }
    start = comma + 1;
  }
  return items;
}

std::string txt_value(const NodeRecord& node, const std::string& key) {
  for (const auto& entry : node.txt) {
    if (entry.key == key && entry.value) {
      return *entry.value;
    }
  }
  return "";
}

bool parse_states(const std::string& text, NodeQuery& query, std::string& error) {
  for (const auto& item : split_list(text)) {
    const auto state = parse_node_state(item);
    if (!state) {
      error =
          "invalid state '" + item + "': expected discovered, online, degraded, offline or gone";
      return false;
    }
    query.states.push_back(*state);
  }
  return true;
}

bool parse_recorder_states(const std::string& text, NodeQuery& query, std::string& error) {
  for (const auto& item : split_list(text)) {
    const auto known = std::find(std::begin(kRecorderStates), std::end(kRecorderStates), item);
    if (known == std::end(kRecorderStates)) {
      error = "invalid recorder state '" + item +
              "': expected disabled, idle, recording, paused, stopping, stalled or unknown";
      return false;
    }
    query.recorder_states.push_back(item);
  }
  return true;
}

bool parse_sort(std::string text, NodeQuery& query, std::string& error) {
  query.descending = !text.empty() && text.front() == '-';
  if (query.descending) {
    text.erase(0, 1);
  }
  for (const auto& entry : kSortNames) {
    if (text == entry.name) {
      query.sort = entry.key;
      return true;
    }
  }
  error = "invalid sort '" + text +
          "': expected name, id, state, recorder, last_seen, first_seen or version, with a "
          "leading - for descending order";
  return false;
}

// A whole number from `minimum` to `maximum`.
bool parse_count(const std::string& name, const std::string& text, long long minimum,
                 long long maximum, std::size_t& value, std::string& error) {
  const auto parsed = shared::parse_integer(text);
  if (!parsed || *parsed < minimum || *parsed > maximum) {
    error = "invalid " + name + " '" + text + "': expected a whole number from " +
            std::to_string(minimum) + " to " + std::to_string(maximum);
    return false;
  }
  value = static_cast<std::size_t>(*parsed);
  return true;
}

bool matches_text(const NodeRecord& node, const std::string& text) {
  std::vector<std::string> fields{node.id, node.name, txt_value(node, "version"),
                                  txt_value(node, "session_id"), recorder_state_of(node)};
  for (const auto& endpoint : node.sightings) {
    fields.push_back(endpoint.address);
    fields.push_back(endpoint.host_name);
  }
  for (auto& label : labels_of(node)) {
    fields.push_back(std::move(label));
  }
  return std::any_of(fields.begin(), fields.end(), [&text](const std::string& field) {
    return lower(field).find(text) != std::string::npos;
  });
}

bool matches(const NodeRecord& node, const NodeQuery& query) {
  if (!query.states.empty() &&
      std::find(query.states.begin(), query.states.end(), node.state) == query.states.end()) {
    return false;
  }
  if (!query.recorder_states.empty() &&
      std::find(query.recorder_states.begin(), query.recorder_states.end(),
                recorder_state_of(node)) == query.recorder_states.end()) {
    return false;
  }
  if (!query.labels.empty()) {
    const auto labels = labels_of(node);
    for (const auto& wanted : query.labels) {
      if (std::find(labels.begin(), labels.end(), wanted) == labels.end()) {
        return false;
      }
    }
  }
  return query.text.empty() || matches_text(node, query.text);
}

// The sort key of a node as a tuple that compares the way the API sorts: the key, then the id.
std::tuple<std::string, std::int64_t, std::string> sort_key(const NodeRecord& node,
                                                            NodeSortKey key) {
  switch (key) {
    case NodeSortKey::kName:
      return {lower(node.name), 0, node.id};
    case NodeSortKey::kId:
      return {"", 0, node.id};
    case NodeSortKey::kState:
      return {"", static_cast<std::int64_t>(node.state), node.id};
    case NodeSortKey::kRecorder:
      return {recorder_state_of(node), 0, node.id};
    case NodeSortKey::kLastSeen:
      return {"", node.last_seen_ms, node.id};
    case NodeSortKey::kFirstSeen:
      return {"", node.first_seen_ms, node.id};
    case NodeSortKey::kVersion:
      return {txt_value(node, "version"), 0, node.id};
  }
  return {"", 0, node.id};
}

}  // namespace

std::optional<NodeQuery> parse_node_query(const std::map<std::string, std::string>& parameters,
                                          std::string& error) {
  NodeQuery query;
  const auto value = [&parameters](const char* name) -> std::optional<std::string> {
    const auto found = parameters.find(name);
    return found == parameters.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  bool ok = true;
  if (const auto states = value("state")) {
    ok = parse_states(*states, query, error);
  }
  if (const auto recorder = value("recorder"); ok && recorder) {
    ok = parse_recorder_states(*recorder, query, error);
  }
  if (const auto labels = value("label"); ok && labels) {
    query.labels = split_list(*labels);
  }
  if (const auto text = value("q"); ok && text) {
    query.text = lower(trim(*text));
  }
  if (const auto sort = value("sort"); ok && sort && !sort->empty()) {
    ok = parse_sort(*sort, query, error);
  }
  if (const auto offset = value("offset"); ok && offset) {
    ok = parse_count("offset", *offset, 0, 1'000'000'000, query.offset, error);
  }
  if (const auto limit = value("limit"); ok && limit) {
    ok = parse_count("limit", *limit, 1, kMaxNodePage, query.limit, error);
  }
  return ok ? std::optional<NodeQuery>(std::move(query)) : std::nullopt;
}

std::optional<std::string> find_repeated_parameter(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) {
    return std::nullopt;
  }
  std::map<std::string, int> seen;
  auto query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::string name(pair.substr(0, pair.find('=')));
    const bool known = name == "state" || name == "recorder" || name == "label" || name == "q" ||
                       name == "sort" || name == "offset" || name == "limit";
    if (known && ++seen[name] == 2) {
      return name;
    }
  }
  return std::nullopt;
}

NodePage select_nodes(const std::vector<const NodeRecord*>& nodes, const NodeQuery& query) {
  std::vector<const NodeRecord*> selected;
  for (const NodeRecord* node : nodes) {
    if (matches(*node, query)) {
      selected.push_back(node);
    }
  }

  std::vector<std::pair<std::tuple<std::string, std::int64_t, std::string>, const NodeRecord*>>
      keyed;
  keyed.reserve(selected.size());
  for (const NodeRecord* node : selected) {
    keyed.emplace_back(sort_key(*node, query.sort), node);
  }
  std::sort(keyed.begin(), keyed.end(), [&query](const auto& left, const auto& right) {
    const auto& [left_text, left_number, left_id] = left.first;
    const auto& [right_text, right_number, right_id] = right.first;
    if (left_text != right_text || left_number != right_number) {
      const bool less = std::tie(left_text, left_number) < std::tie(right_text, right_number);
      return query.descending ? !less : less;
    }
    return left_id < right_id;  // ties stay in id order either way
  });

  NodePage page;
  page.total = keyed.size();
  const auto first = std::min(query.offset, keyed.size());
  const auto last = std::min(keyed.size(), first + query.limit);
  for (auto index = first; index < last; ++index) {
    page.nodes.push_back(keyed[index].second);
  }
  return page;
}

namespace {

// A state a node reports, if it is one of WineBot's, else "unknown": nodes must not choose the
// values of the filter or of the metric labels.
std::string known_recorder_state(const std::string& state) {
  const auto known = std::find(std::begin(kRecorderStates), std::end(kRecorderStates), state);
  return known == std::end(kRecorderStates) ? "unknown" : state;
}

// The label rule nodes enforce at start-up; labels that break it are dropped.
bool valid_label(const std::string& label) {
  return !label.empty() && label.size() <= 32 &&
         std::all_of(label.begin(), label.end(), [](unsigned char character) {
           return std::isalnum(character) || character == '.' || character == '_' ||
                  character == '-';
         });
}

}  // namespace

std::string recorder_state_of(const NodeRecord& node) {
  if (node.last_state.is_object()) {
    const auto recorder = node.last_state.find("recorder");
    if (recorder != node.last_state.end() && recorder->is_object()) {
      const auto state = recorder->find("state");
      if (state != recorder->end() && state->is_string()) {
        return known_recorder_state(state->get<std::string>());
      }
    }
  }
  return known_recorder_state(txt_value(node, "state"));
}

std::vector<std::string> labels_of(const NodeRecord& node) {
  std::vector<std::string> list;
  if (node.last_state.is_object()) {
    const auto labels = node.last_state.find("labels");
    if (labels != node.last_state.end() && labels->is_array()) {
      for (const auto& label : *labels) {
        if (label.is_string() && valid_label(label.get_ref<const std::string&>())) {
          list.push_back(label.get<std::string>());
        }
      }
      return list;
    }
  }
  for (auto& label : split_list(txt_value(node, "labels"))) {
    if (valid_label(label)) {
      list.push_back(std::move(label));
    }
  }
  return list;
}

}  // namespace winebot::hub

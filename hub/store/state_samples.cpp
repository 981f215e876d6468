#include "hub/store/state_samples.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "hub/api/node_query.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

using nlohmann::json;

std::optional<double> number_field(const json& object, const char* name) {
  const auto value = object.find(name);
  if (value == object.end() || !value->is_number()) {
    return std::nullopt;
  }
  return value->get<double>();
}

std::optional<std::int64_t> integer_field(const json& object, const char* name) {
  const auto value = object.find(name);
  if (value == object.end() || !value->is_number_integer()) {
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

std::optional<std::string> text_field(const json& object, const char* name) {
  const auto value = object.find(name);
  if (value == object.end() || !value->is_string()) {
    return std::nullopt;
  }
  return value->get<std::string>();
}

void bind_optional(shared::Statement& statement, int index, const std::optional<double>& value) {
  if (value) {
    statement.bind_double(index, *value);
  } else {
    statement.bind_null(index);
  }
}

void bind_optional(shared::Statement& statement, int index,
                   const std::optional<std::int64_t>& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind_null(index);
  }
}

void bind_optional(shared::Statement& statement, int index,
                   const std::optional<std::string>& value) {
  if (value) {
    statement.bind(index, std::string_view(*value));
  } else {
    statement.bind_null(index);
  }
}

StateSample sample_from_row(const shared::Statement& statement) {
  StateSample sample;
  sample.node_id = statement.column_text(0);
  sample.at_ms = statement.column_int(1);
  sample.state = statement.column_text(2);
  sample.recorder_state = statement.column_text(3);
  if (!statement.column_is_null(4)) {
    sample.idle_seconds = statement.column_double(4);
  }
  if (!statement.column_is_null(5)) {
    sample.controller = statement.column_text(5);
  }
  if (!statement.column_is_null(6)) {
    sample.latency_ms = statement.column_double(6);
  }
  if (!statement.column_is_null(7)) {
    sample.auto_pauses = statement.column_int(7);
  }
  if (!statement.column_is_null(8)) {
    sample.auto_resumes = statement.column_int(8);
  }
  if (!statement.column_is_null(9)) {
    sample.paused_by_inactivity_seconds = statement.column_double(9);
  }
  return sample;
}

// The columns that sample_from_row reads, in its order.
#define WINEBOT_SAMPLE_COLUMNS                                                                 \
  "node_id, at_ms, state, recorder_state, idle_seconds, controller, latency_ms, auto_pauses, " \
  "auto_resumes, paused_by_inactivity_seconds"

}  // namespace

StateSample make_state_sample(const NodeRecord& node, std::int64_t now_ms) {
  StateSample sample;
  sample.node_id = node.id;
  sample.at_ms = now_ms;
  sample.state = to_string(node.state);
  sample.recorder_state = recorder_state_of(node);
  // The node's own figures only describe this moment when the newest probe succeeded.
  const bool answering = node.consecutive_failures == 0 && node.last_state.is_object();
  if (!answering) {
    return sample;
  }
  sample.latency_ms = node.last_latency_ms;
  const auto idle = node.last_state.find("idle");
  if (idle != node.last_state.end() && idle->is_object()) {
    sample.idle_seconds = number_field(*idle, "idle_seconds");
    sample.controller = text_field(*idle, "controller");
    sample.auto_pauses = integer_field(*idle, "auto_pauses");
    sample.auto_resumes = integer_field(*idle, "auto_resumes");
    sample.paused_by_inactivity_seconds = number_field(*idle, "paused_by_inactivity_seconds");
  }
  return sample;
}

std::optional<StateSample> StateSampler::on_change(const NodeRecord& node, std::int64_t now_ms) {
  auto& last = last_[node.id];
  const bool first = last.at_ms == 0;
  const std::string state = to_string(node.state);
  const auto recorder_state = recorder_state_of(node);
  const bool changed = state != last.state || recorder_state != last.recorder_state;
  if (!first && !changed && now_ms - last.at_ms < interval_ms_) {
    return std::nullopt;
  }
  auto sample = make_state_sample(node, now_ms);
  // Two samples of one node in the same millisecond would share a primary key.
  if (!first && now_ms <= last.at_ms) {
    sample.at_ms = last.at_ms + 1;
  }
  last = {sample.at_ms, sample.state, sample.recorder_state};
  return sample;
}

void write_state_sample(shared::Statement& insert, const StateSample& sample) {
  insert.bind(1, sample.node_id)
      .bind(2, sample.at_ms)
      .bind(3, sample.state)
      .bind(4, sample.recorder_state);
  bind_optional(insert, 5, sample.idle_seconds);
  bind_optional(insert, 6, sample.controller);
  bind_optional(insert, 7, sample.latency_ms);
  bind_optional(insert, 8, sample.auto_pauses);
  bind_optional(insert, 9, sample.auto_resumes);
  bind_optional(insert, 10, sample.paused_by_inactivity_seconds);
  insert.run();
}

std::vector<StateSample> read_state_samples(shared::Database& database, const std::string& node_id,
                                            std::int64_t since_ms, std::int64_t until_ms,
                                            std::int64_t limit) {
  auto statement = database.prepare("SELECT " WINEBOT_SAMPLE_COLUMNS
                                    " FROM state_samples WHERE node_id = ?1 AND at_ms >= ?2 AND "
                                    "at_ms <= ?3 ORDER BY at_ms DESC LIMIT ?4");
  statement.bind(1, node_id).bind(2, since_ms).bind(3, until_ms).bind(4, limit);
  std::vector<StateSample> samples;
  while (statement.step()) {
    samples.push_back(sample_from_row(statement));
  }
  std::reverse(samples.begin(), samples.end());
  return samples;
}

void for_each_fleet_sample(shared::Database& database, std::int64_t since_ms, std::int64_t until_ms,
                           const std::function<void(StateSample)>& visit) {
  auto statement = database.prepare("SELECT " WINEBOT_SAMPLE_COLUMNS
                                    " FROM state_samples WHERE at_ms >= ?1 AND at_ms <= ?2 "
                                    "ORDER BY node_id, at_ms");
  statement.bind(1, since_ms).bind(2, until_ms);
  while (statement.step()) {
    visit(sample_from_row(statement));
  }
}

}  // namespace winebot::hub

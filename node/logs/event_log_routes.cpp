#include "node/logs/event_log_routes.hpp"

#include <nlohmann/json.hpp>

#include "node/logs/perf_summary.hpp"
#include "shared/jsonl/log_cursor.hpp"
#include "shared/jsonl/tail_reader.hpp"
#include "shared/log/logger.hpp"

namespace winebot::node {
namespace {

using nlohmann::json;
using shared::HttpRequest;
using shared::HttpResponse;

constexpr std::size_t kLifecycleDefaultLimit = 100;
constexpr std::size_t kInputDefaultLimit = 200;
constexpr std::size_t kTelemetryDefaultLimit = 100;

// Keeps only records accepted by `keep`; returns the parsed records, oldest first.
template <typename Keep>
json parse_records(const std::vector<std::string>& lines, Keep keep) {
  json events = json::array();
  for (const auto& line : lines) {
    auto record = json::parse(line, nullptr, false);
    if (record.is_discarded() || !keep(record)) {
      continue;
    }
    events.push_back(std::move(record));
  }
  return events;
}

HttpResponse read_failed(const std::filesystem::path& path, const std::string& error) {
  shared::log_warn("logs.read_failed",
                   {shared::field("path", path.string()), shared::field("error", error)});
  return HttpResponse::error(500, "Failed to read " + path.filename().string() + ": " + error);
}

// Serves the records after a cursor. An empty token means the start of the current file.
HttpResponse read_after_cursor(const std::filesystem::path& path, const std::string& token,
                               std::size_t limit) {
  shared::LogCursor cursor;
  if (token.empty()) {
    auto opened = shared::ReadOnlyFile::open(path);
    if (opened.file) {
      if (const auto status = opened.file->status(); status.ok()) {
        cursor.device = status.status.device;
        cursor.inode = status.status.inode;
      }
    }
  } else {
    const auto parsed = shared::parse_log_cursor(token);
    if (!parsed.ok()) {
      return HttpResponse::error(400, "invalid cursor in 'after': " + parsed.error);
    }
    cursor = parsed.cursor;
  }

  const auto read = shared::read_after(path, cursor, limit);
  if (!read.ok()) {
    return read_failed(path, read.error);
  }
  json events = json::array();
  json positions = json::array();
  for (const auto& record : read.records) {
    auto event = json::parse(record.text, nullptr, false);
    if (event.is_discarded()) {
      continue;  // Skipped, but `next` still moves past it.
    }
    events.push_back(std::move(event));
    positions.push_back(std::to_string(read.next.device) + "." + std::to_string(read.next.inode) +
                        "." + std::to_string(record.offset));
  }
  json body = {{"events", std::move(events)},
               {"positions", std::move(positions)},
               {"next", read.next.to_token()},
               {"restart", read.restart == shared::CursorRestart::kNone
                               ? json(nullptr)
                               : json(std::string(shared::to_string(read.restart)))}};
  return HttpResponse::json(200, body);
}

// The reply to a cursor read when there is no session: nothing yet, and the same cursor again.
HttpResponse no_session_reply(const HttpRequest& request) {
  const auto after = request.query_value("after");
  if (!after) {
    return HttpResponse::json(200, {{"events", json::array()}});
  }
  return HttpResponse::json(200, {{"events", json::array()},
                                  {"positions", json::array()},
                                  {"next", *after},
                                  {"restart", nullptr}});
}

template <typename T>
bool failed(const QueryResult<T>& result, HttpResponse& response) {
  if (const auto* error = std::get_if<HttpResponse>(&result)) {
    response = *error;
    return true;
  }
  return false;
}

HttpResponse lifecycle_events(const HttpRequest& request, const ActiveSession& session,
                              const LogQuerySettings& settings) {
  HttpResponse error;
  const auto limit = parse_limit(request, kLifecycleDefaultLimit, settings.max_events);
  if (failed(limit, error)) {
    return error;
  }
  const auto folder = session.current();
  if (!folder) {
    return no_session_reply(request);
  }
  const auto path = *folder / "logs" / "lifecycle.jsonl";
  if (const auto after = request.query_value("after")) {
    return read_after_cursor(path, *after, std::get<std::size_t>(limit));
  }
  const auto tail = shared::TailReader().read_last_lines(path, std::get<std::size_t>(limit));
  if (!tail.ok()) {
    return read_failed(path, tail.error);
  }
  return HttpResponse::json(
      200, {{"events", parse_records(tail.lines, [](const json&) { return true; })}});
}

HttpResponse input_events(const HttpRequest& request, const ActiveSession& session,
                          const LogQuerySettings& settings) {
  HttpResponse error;
  const auto limit = parse_limit(request, kInputDefaultLimit, settings.max_events);
  const auto since = parse_optional_integer(request, "since_epoch_ms");
  const auto target = resolve_session_target(request, session, settings);
  if (failed(limit, error) || failed(since, error) || failed(target, error)) {
    return error;
  }
  const auto& folder = std::get<std::optional<std::filesystem::path>>(target);
  if (!folder) {
    return no_session_reply(request);
  }
  const auto path =
      *folder / "logs" / input_log_file_name(request.query_value("source").value_or(""));
  if (const auto after = request.query_value("after")) {
    return read_after_cursor(path, *after, std::get<std::size_t>(limit));
  }
  std::error_code missing;
  if (!std::filesystem::exists(path, missing)) {
    return HttpResponse::json(200, {{"events", json::array()}});
  }

  const auto tail = shared::TailReader().read_last_lines(path, std::get<std::size_t>(limit));
  if (!tail.ok()) {
    return read_failed(path, tail.error);
  }
  // As in WineBot, the filters run after the window: `limit` counts raw lines.
  const auto since_ms = std::get<std::optional<long long>>(since);
  const auto origin = request.query_value("origin");
  auto keep = [&](const json& record) {
    if ((since_ms || origin) && !record.is_object()) {
      return false;
    }
    if (since_ms) {
      const auto stamp = record.value("timestamp_epoch_ms", json(0));
      if (!stamp.is_number() || stamp.get<double>() < static_cast<double>(*since_ms)) {
        return false;
      }
    }
    return !origin || (record.contains("origin") && record["origin"] == *origin);
  };
  return HttpResponse::json(
      200, {{"events", parse_records(tail.lines, keep)}, {"log_path", path.string()}});
}

HttpResponse perf_summary(const HttpRequest& request, const ActiveSession& session,
                          const LogQuerySettings& settings) {
  HttpResponse error;
  const auto target = resolve_session_target(request, session, settings);
  if (failed(target, error)) {
    return error;
  }
  const auto& folder = std::get<std::optional<std::filesystem::path>>(target);
  if (!folder) {
    return HttpResponse::json(200, {{"session_dir", nullptr}, {"metrics", json::object()}});
  }
  const auto path = *folder / "logs" / "perf_metrics.jsonl";
  std::error_code missing;
  if (!std::filesystem::exists(path, missing)) {
    return HttpResponse::json(200, {{"session_dir", folder->string()},
                                    {"log_path", path.string()},
                                    {"metrics", json::object()}});
  }
  auto result = summarize_perf_metrics(path);
  if (!result.error.empty()) {
    shared::log_warn("logs.read_failed",
                     {shared::field("path", path.string()), shared::field("error", result.error)});
    return HttpResponse::error(500, "Failed to read metrics: " + result.error);
  }
  result.summary["session_dir"] = folder->string();
  result.summary["log_path"] = path.string();
  return HttpResponse::json(200, result.summary);
}

HttpResponse telemetry_events(const HttpRequest& request, const ActiveSession& session,
                              const LogQuerySettings& settings) {
  HttpResponse error;
  const auto limit = parse_limit(request, kTelemetryDefaultLimit, settings.max_events);
  const auto target = resolve_session_target(request, session, settings);
  if (failed(limit, error) || failed(target, error)) {
    return error;
  }
  const auto& folder = std::get<std::optional<std::filesystem::path>>(target);
  if (!folder) {
    return no_session_reply(request);
  }
  const auto path = *folder / "logs" / "perf_metrics.jsonl";
  if (const auto after = request.query_value("after")) {
    return read_after_cursor(path, *after, std::get<std::size_t>(limit));
  }
  const auto tail = shared::TailReader().read_last_lines(path, std::get<std::size_t>(limit));
  if (!tail.ok()) {
    return read_failed(path, tail.error);
  }
  return HttpResponse::json(
      200,
      {{"events", parse_records(tail.lines, [](const json& record) { return record.is_object(); })},
       {"log_path", path.string()}});
}

}  // namespace

std::string input_log_file_name(const std::string& source) {
  if (source == "client") {
    return "input_events_client.jsonl";
  }
  if (source == "x11_core") {
    return "input_events_x11_core.jsonl";
  }
  if (source == "windows") {
    return "input_events_windows.jsonl";
  }
  if (source == "network") {
    return "input_events_network.jsonl";
  }
  return "input_events.jsonl";
}

void add_event_log_routes(shared::Router& router, const ActiveSession& session,
                          const LogQuerySettings& settings) {
  router.add("GET", "/lifecycle/events", [&session, settings](const HttpRequest& request) {
    return lifecycle_events(request, session, settings);
  });
  router.add("GET", "/input/events", [&session, settings](const HttpRequest& request) {
    return input_events(request, session, settings);
  });
  router.add("GET", "/recording/perf/summary", [&session, settings](const HttpRequest& request) {
    return perf_summary(request, session, settings);
  });
  router.add("GET", "/telemetry/events", [&session, settings](const HttpRequest& request) {
    return telemetry_events(request, session, settings);
  });
}

}  // namespace winebot::node

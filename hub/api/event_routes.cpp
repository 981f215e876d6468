#include "hub/api/event_routes.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "hub/api/query_params.hpp"
#include "hub/registry/node_registry.hpp"
#include "hub/store/event_sources.hpp"
#include "shared/log/logger.hpp"
#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

using nlohmann::json;
using shared::HttpRequest;
using shared::HttpResponse;

constexpr long long kDefaultLimit = 100;
constexpr long long kMaxLimit = 1000;

HttpResponse node_events(const HttpRequest& request, const NodeRegistry& registry,
                         const std::filesystem::path& db) {
  const auto& id = request.path_param("id");
  if (registry.find(id) == nullptr) {
    return HttpResponse::error(404, "node not found: " + id);
  }
  HttpResponse error;
  const auto limit = integer_query(request, "limit", kDefaultLimit, 1, kMaxLimit, error);
  const auto before = integer_query(request, "before", INT64_MAX, 1, INT64_MAX, error);
  const auto after = integer_query(request, "after", -1, 0, INT64_MAX, error);
  if (!limit || !before || !after) {
    return error;
  }
  // With `after`, the page runs forward from that id, oldest first, for a reader catching up;
  // otherwise it runs backward from `before`, newest first.
  const bool forward = *after >= 0;
  const auto stream = request.query_value("stream").value_or("");
  if (!stream.empty() && stream != "lifecycle" && stream != "input" && stream != "telemetry") {
    return HttpResponse::error(
        400, "invalid stream '" + stream + "': expected lifecycle, input or telemetry");
  }

  try {
    shared::Database database(db, true);
    // One indexed range read per stream, merged by id: a single query over every stream of a
    // node would sort all of its rows.
    std::vector<std::pair<std::int64_t, json>> rows;
    for (const auto& [source_stream, source] : read_event_sources(database, id)) {
      if (!stream.empty() && source_stream != stream) {
        continue;
      }
      auto statement = database.prepare(
          std::string("SELECT id, position, event_ms, ingested_ms, body FROM event_rows "
                      "WHERE source = ?1 AND id < ?2 AND id > ?4 ORDER BY id ") +
          (forward ? "ASC" : "DESC") + " LIMIT ?3");
      statement.bind(1, source).bind(2, *before).bind(3, *limit).bind(4, *after);
      while (statement.step()) {
        rows.emplace_back(statement.column_int(0),
                          json{{"id", statement.column_int(0)},
                               {"stream", source_stream},
                               {"position", statement.column_text(1)},
                               {"event_ms", statement.column_int(2)},
                               {"ingested_ms", statement.column_int(3)},
                               {"event", json::parse(statement.column_text(4), nullptr, false)}});
      }
    }
    std::sort(rows.begin(), rows.end(), [forward](const auto& left, const auto& right) {
      return forward ? left.first < right.first : left.first > right.first;
    });
    if (rows.size() > static_cast<std::size_t>(*limit)) {
      rows.resize(static_cast<std::size_t>(*limit));
    }
    json events = json::array();
    for (auto& row : rows) {
      events.push_back(std::move(row.second));
    }
    json reply{{"node_id", id}, {"order", forward ? "oldest_first" : "newest_first"}};
    if (!events.empty()) {
      // The parameter that requests the next page in the same direction.
      reply[forward ? "next_after" : "next_before"] = events.back()["id"];
    }
    reply["events"] = std::move(events);
    return HttpResponse::json(200, reply);
  } catch (const shared::SqliteError& failure) {
    shared::log_error("api.events_failed",
                      {shared::field("node", id), shared::field("error", failure.what())});
    return HttpResponse::error(503, "event store unavailable: " + std::string(failure.what()));
  }
}

}  // namespace

void add_event_routes(shared::Router& router, const NodeRegistry& registry,
                      const std::filesystem::path& db) {
  router.add("GET", "/api/nodes/{id}/events", [&registry, db](const HttpRequest& request) {
    return node_events(request, registry, db);
  });
}

}  // namespace winebot::hub

#include "hub/api/openapi_routes.hpp"

#include <string>
#include <vector>

#include "hub/api/admin_auth.hpp"
#include "hub/api/screenshot_routes.hpp"
#include "winebot/version.hpp"

namespace winebot::hub {
namespace {

using nlohmann::json;

json query_parameter(const char* name, const char* description, const char* type = "string") {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"description", description},
          {"schema", {{"type", type}}}};
}

json path_parameter(const char* name, const char* description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", {{"type", "string"}}}};
}

json json_reply(const char* description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
}

json error_reply(const char* description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json operation(const char* summary, json responses, json parameters = json::array()) {
  json result{{"summary", summary}, {"responses", std::move(responses)}};
  if (!parameters.empty()) {
    result["parameters"] = std::move(parameters);
  }
  return result;
}

json node_list() {
  return operation("List nodes, filtered, sorted and paged",
                   {{"200", json_reply("nodes, count, total, offset, limit and next_offset")},
                    {"400", error_reply("An invalid filter, sort or page")}},
                   {query_parameter("state", "Hub states, comma-separated"),
                    query_parameter("recorder", "Recorder states, comma-separated"),
                    query_parameter("label", "Labels a node must all carry, comma-separated"),
                    query_parameter("q", "Case-insensitive text"),
                    query_parameter("sort",
                                    "name, id, state, recorder, last_seen, first_seen or version; "
                                    "a leading - for descending order"),
                    query_parameter("offset", "First node of the page", "integer"),
                    query_parameter("limit", "Nodes per page, 1 to 5000", "integer")});
}

json node_events() {
  return operation(
      "A node's ingested events, newest first",
      {{"200", json_reply("events")},
       {"400", error_reply("An invalid limit or position")},
       {"404", error_reply("Unknown node")}},
      {path_parameter("id", "Node id"), query_parameter("stream", "lifecycle, input or telemetry"),
       query_parameter("limit", "Events to return", "integer"),
       query_parameter("before", "Only events with a smaller id, newest first", "integer"),
       query_parameter("after", "Only events with a larger id, oldest first", "integer")});
}

json node_samples() {
  return operation("A node's stored state samples, oldest first",
                   {{"200", json_reply("node_id, sample_interval_ms and samples")},
                    {"400", error_reply("An invalid limit or range")},
                    {"404", error_reply("Unknown node")}},
                   {path_parameter("id", "Node id"),
                    query_parameter("since", "Earliest sample time, epoch ms", "integer"),
                    query_parameter("until", "Latest sample time, epoch ms", "integer"),
                    query_parameter("limit", "Newest samples to return, 1 to 10000", "integer")});
}

json fleet_summary() {
  return operation(
      "Nodes by state and recorder state; recording and paused time over a window",
      {{"200", json_reply("nodes, time_seconds, auto_pauses, auto_resumes and the estimated CPU "
                          "time saved")},
       {"400", error_reply("An invalid window")}},
      {query_parameter("window", "Seconds, 60 to 2592000; default 3600", "integer")});
}

json telemetry() {
  return operation(
      "Metric percentiles from the rollups: the metrics seen, a series, or one entry per node",
      {{"200", json_reply("metrics; or metric and points; or metric and nodes")},
       {"400", error_reply("An invalid window, resolution or combination")},
       {"404", error_reply("Unknown node")}},
      {query_parameter("metric", "Metric name; without it, the metrics seen in the window"),
       query_parameter("node", "One node's series instead of the fleet's"),
       query_parameter("by", "node: one summary per node over the window"),
       query_parameter("window", "Seconds, 60 to 2592000; default 3600", "integer"),
       query_parameter("resolution", "minute or hour; default minute up to 6 hours")});
}

json recording_action(const char* summary, bool per_node) {
  json parameters = json::array();
  if (per_node) {
    parameters.push_back(path_parameter("id", "Node id"));
  }
  parameters.push_back(
      {{"name", "action"},
       {"in", "path"},
       {"required", true},
       {"schema", {{"type", "string"}, {"enum", {"start", "pause", "resume", "stop"}}}}});
  auto result = operation(summary,
                          {{"200", json_reply(per_node ? "The node's status and envelope"
                                                       : "One result per selected node")},
                           {"400", error_reply("Unknown action or invalid body")},
                           {"401", error_reply("Missing or wrong admin token")},
                           {"403", error_reply("Actions are disabled: no admin token is set")},
                           {"404", error_reply("Unknown node")},
                           {"413", error_reply("Body too large")}},
                          parameters);
  result["security"] = json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}});
  return result;
}

json plain_text(const char* description, const char* media_type) {
  return {{"description", description},
          {"content", {{media_type, {{"schema", {{"type", "string"}}}}}}}};
}

}  // namespace

json hub_openapi_document() {
  json paths{
      {"/api/nodes", {{"get", node_list()}}},
      {"/api/nodes/{id}",
       {{"get", operation("One node: addresses, TXT, state history and newest /state",
                          {{"200", json_reply("The node")}, {"404", error_reply("Unknown node")}},
                          {path_parameter("id", "Node id")})}}},
      {"/api/nodes/{id}/events", {{"get", node_events()}}},
      {"/api/nodes/{id}/samples", {{"get", node_samples()}}},
      {"/api/fleet/summary", {{"get", fleet_summary()}}},
      {"/api/telemetry", {{"get", telemetry()}}},
      {"/api/nodes/{id}/recording/{action}",
       {{"post", recording_action("Forward a recording action to one node", true)}}},
      {"/api/fleet/recording/{action}",
       {{"post",
         recording_action("Forward a recording action to the nodes a selector names", false)}}},
      {"/api/stream",
       {{"get", operation("Server-Sent Events: node changes and ingested events",
                          {{"200", plain_text("The event stream", "text/event-stream")}},
                          {query_parameter("last_event_id", "Resume after this event id")})}}},
      {"/api/login",
       {{"post",
         operation("Exchange the admin token for a session cookie",
                   {{"200", json_reply("Logged in")}, {"401", error_reply("Wrong token")}})}}},
      {"/api/logout",
       {{"post", operation("End the session cookie", {{"200", json_reply("Logged out")}})}}},
      {"/api/openapi.json",
       {{"get", operation("This document", {{"200", json_reply("OpenAPI 3.0")}})}}},
      {"/metrics",
       {{"get", operation("Prometheus metrics",
                          {{"200", plain_text("Text format 0.0.4", "text/plain")}})}}},
      {"/healthz", {{"get", operation("Liveness", {{"200", json_reply("ok")}})}}},
      {"/readyz",
       {{"get", operation("Readiness", {{"200", json_reply("ready")},
                                        {"503", error_reply("Starting or stopping")}})}}}};
  paths.update(screenshot_openapi_paths());
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "WineBot Fleet hub"}, {"version", kVersion}}},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas",
             {{"Error",
               {{"type", "object"},
                {"required", {"detail"}},
                {"properties", {{"detail", {{"type", "string"}}}}}}}}},
            {"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", kSessionCookie}}}}}}}};
}

void add_openapi_route(shared::Router& router) {
  router.add("GET", "/api/openapi.json", [](const shared::HttpRequest&) {
    return shared::HttpResponse::json(200, hub_openapi_document());
  });
}

}  // namespace winebot::hub

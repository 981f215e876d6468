#include "node/api/recording_routes.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

namespace winebot::node {
namespace {

using nlohmann::json;

constexpr int kMinFps = 1;
constexpr int kMaxFps = 120;

shared::HttpResponse reply(const RecordingReply& result) {
  return shared::HttpResponse::json(result.http_status, result.body);
}

// Emits WineBot's recording.api_<action>.latency metric for one recording action, into the
// session the reply names, else the active one.
void emit_action_latency(TelemetryEmitter& telemetry, const Recorder& recorder,
                         const std::string& action, const RecordingReply& result,
                         std::chrono::steady_clock::duration elapsed) {
  OperationTiming timing;
  timing.feature = "recording";
  timing.capability = "api";
  timing.feature_set = "recording_and_artifacts";
  timing.operation = action;
  timing.metric = "recording.api_" + action + ".latency";
  timing.duration_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  timing.result = result.http_status < 400 ? "ok" : "error";
  timing.tags = {{"status", result.body.value("status", std::to_string(result.http_status))}};
  if (action == "start" && result.body.contains("segment")) {
    timing.tags["segment"] = result.body["segment"];
  }
  std::optional<std::filesystem::path> session_dir = recorder.active_session_dir();
  if (const auto named = result.body.find("session_dir");
      named != result.body.end() && named->is_string()) {
    session_dir = named->get<std::string>();
  }
  telemetry.emit(session_dir, timing);
}

// Runs a recording action, times it for the telemetry (when there is an emitter) and replies.
template <typename Action>
shared::HttpResponse run_action(const std::string& name, Recorder& recorder,
                                TelemetryEmitter* telemetry, Action action) {
  const auto started = std::chrono::steady_clock::now();
  const RecordingReply result = action();
  if (telemetry != nullptr) {
    emit_action_latency(*telemetry, recorder, name, result,
                        std::chrono::steady_clock::now() - started);
  }
  return reply(result);
}

// Reads an optional string field; false when present with another type.
bool optional_text(const json& body, const char* key, std::optional<std::string>& value) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return true;
  }
  if (!it->is_string()) {
    return false;
  }
  value = it->get<std::string>();
  return true;
}

json action_schema(bool start) {
  json properties{{"action", {{"type", "string"}, {"enum", {"start", "stop", "pause", "resume"}}}},
                  {"status", {{"type", "string"}}},
                  {"result", {{"type", "string"}, {"enum", {"converged", "accepted"}}}},
                  {"converged", {{"type", "boolean"}}},
                  {"recording_timeline_id", {{"type", "string"}}},
                  {"session_dir", {{"type", "string"}}},
                  {"operation_id", {{"type", "string"}}},
                  {"warning", {{"type", "string"}}}};
  if (start) {
    for (const char* key : {"session_id", "output_file", "events_file", "display", "resolution"}) {
      properties[key] = {{"type", "string"}};
    }
    for (const char* key : {"segment", "fps", "recorder_pid"}) {
      properties[key] = {{"type", "integer"}};
    }
  }
  return {{"type", "object"},
          {"required", {"action", "status", "result", "converged"}},
          {"properties", properties}};
}

json action_operation(const char* summary, const char* schema) {
  const json error_ref{{"$ref", "#/components/schemas/ErrorResponse"}};
  return {{"post",
           {{"summary", summary},
            {"responses",
             {{"200",
               {{"description", "The action's outcome"},
                {"content",
                 {{"application/json",
                   {{"schema", {{"$ref", std::string("#/components/schemas/") + schema}}}}}}}}},
              {"400",
               {{"description", "Recording is disabled by configuration"},
                {"content", {{"application/json", {{"schema", error_ref}}}}}}}}}}}};
}

}  // namespace

json recording_openapi_document() {
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "WineBot node"}, {"version", "1.0.0"}}},
          {"paths",
           {{"/recording/start",
             action_operation("Start or resume recording", "RecordingStartResponse")},
            {"/recording/pause", action_operation("Pause recording", "RecordingActionResponse")},
            {"/recording/resume", action_operation("Resume recording", "RecordingActionResponse")},
            {"/recording/stop",
             action_operation("Stop and finalize recording", "RecordingActionResponse")}}},
          {"components",
           {{"schemas",
             {{"RecordingActionResponse", action_schema(false)},
              {"RecordingStartResponse", action_schema(true)},
              {"ErrorResponse",
               {{"type", "object"},
                {"required", {"detail"}},
                {"properties", {{"detail", {{"type", "string"}}}}}}}}}}}};
}

std::optional<StartRequest> parse_start_request(const std::string& body, std::string& error) {
  StartRequest request;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return request;
  }
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    error = "request body must be a JSON object";
    return std::nullopt;
  }

  std::optional<std::string> label;
  std::optional<std::string> root;
  std::optional<std::string> resolution;
  for (const auto& [key, target] :
       {std::pair{"session_label", &label}, std::pair{"session_root", &root},
        std::pair{"display", &request.display}, std::pair{"resolution", &resolution}}) {
    if (!optional_text(parsed, key, *target)) {
      error = std::string(key) + " must be a string";
      return std::nullopt;
    }
  }
  request.session_label = label.value_or("");
  if (root && !root->empty()) {
    request.session_root = *root;
  }
  if (request.display && request.display->empty()) {
    request.display.reset();
  }
  if (resolution && !resolution->empty()) {
    request.resolution = parse_resolution(*resolution);
    if (!request.resolution) {
      error =
          "resolution must be WIDTHxHEIGHT with sides from 2 to 16384 (got '" + *resolution + "')";
      return std::nullopt;
    }
  }

  if (const auto fps = parsed.find("fps"); fps != parsed.end() && !fps->is_null()) {
    if (!fps->is_number_integer() || fps->get<long long>() < kMinFps ||
        fps->get<long long>() > kMaxFps) {
      error = "fps must be an integer from 1 to 120";
      return std::nullopt;
    }
    request.fps = fps->get<int>();
  }
  if (const auto fresh = parsed.find("new_session"); fresh != parsed.end() && !fresh->is_null()) {
    if (!fresh->is_boolean()) {
      error = "new_session must be true or false";
      return std::nullopt;
    }
    request.new_session = fresh->get<bool>();
  }
  return request;
}

std::optional<std::filesystem::path> parse_recover_request(const std::string& body,
                                                           std::string& error) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return std::filesystem::path();
  }
  const json parsed = json::parse(body, nullptr, false);
  std::optional<std::string> session_dir;
  if (parsed.is_discarded() || !parsed.is_object() ||
      !optional_text(parsed, "session_dir", session_dir)) {
    error = "request body must be a JSON object whose session_dir is a string";
    return std::nullopt;
  }
  return std::filesystem::path(session_dir.value_or(""));
}

void add_recording_routes(shared::Router& router, Recorder& recorder, TelemetryEmitter* telemetry) {
  router.add(
      "POST", "/recording/start", [&recorder, telemetry](const shared::HttpRequest& request) {
        std::string error;
        const auto start = parse_start_request(request.body, error);
        if (!start) {
          return shared::HttpResponse::error(422, error);
        }
        return run_action("start", recorder, telemetry, [&] { return recorder.start(*start); });
      });
  router.add("POST", "/recording/pause", [&recorder, telemetry](const shared::HttpRequest&) {
    return run_action("pause", recorder, telemetry,
                      [&] { return recorder.pause(PauseOrigin::kManual); });
  });
  router.add("POST", "/recording/resume", [&recorder, telemetry](const shared::HttpRequest&) {
    return run_action("resume", recorder, telemetry, [&] { return recorder.resume(); });
  });
  router.add("POST", "/recording/stop", [&recorder, telemetry](const shared::HttpRequest&) {
    return run_action("stop", recorder, telemetry, [&] { return recorder.stop(); });
  });
  router.add("POST", "/recording/recover", [&recorder](const shared::HttpRequest& request) {
    std::string error;
    const auto session_dir = parse_recover_request(request.body, error);
    if (!session_dir) {
      return shared::HttpResponse::error(422, error);
    }
    return reply(recorder.recover(*session_dir));
  });

  router.add("GET", "/health/recording", [&recorder](const shared::HttpRequest&) {
    return shared::HttpResponse::json(200, recorder.health_json());
  });
  router.add("GET", "/recording/health", [&recorder](const shared::HttpRequest&) {
    return shared::HttpResponse::json(200, recorder.recording_health_json());
  });
}

}  // namespace winebot::node

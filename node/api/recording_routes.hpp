#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "node/recorder/recorder.hpp"
#include "node/telemetry/telemetry_emitter.hpp"
#include "shared/http/router.hpp"

namespace winebot::node {

// Adds WineBot's recording endpoints, served by `recorder`:
//   POST /recording/start, /recording/pause, /recording/resume, /recording/stop (the action
//   envelope), POST /recording/recover, GET /health/recording and GET /recording/health.
//   Handlers run on the io_context thread, like the recorder. With a
//   `telemetry` emitter, each action emits WineBot's recording.api_<action>.latency metric.
void add_recording_routes(shared::Router& router, Recorder& recorder,
                          TelemetryEmitter* telemetry = nullptr);

// The recording part of the node's OpenAPI document (GET /openapi.json): the four
// actions, whose 200 responses refer to RecordingActionResponse (stop, pause, resume) and
// RecordingStartResponse (start).
nlohmann::json recording_openapi_document();

// Parses the optional JSON body of POST /recording/start. Returns the request, or sets `error`
// to a message naming the invalid field (for a 422 reply).
std::optional<StartRequest> parse_start_request(const std::string& body, std::string& error);

// Parses the optional body of POST /recording/recover, {"session_dir": "..."}. An empty path
// means the active session. Sets `error` (for a 422 reply) when the body is invalid.
std::optional<std::filesystem::path> parse_recover_request(const std::string& body,
                                                           std::string& error);

}  // namespace winebot::node

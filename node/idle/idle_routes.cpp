#include "node/idle/idle_routes.hpp"

#include <nlohmann/json.hpp>

namespace winebot::node {
namespace {

using nlohmann::json;

// The string field `key` of a JSON object body, or nullopt with `error` set.
std::optional<std::string> required_text(const std::string& body, const char* key,
                                         std::string& error) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    error = std::string("Request body must be a JSON object with a \"") + key + "\" field";
    return std::nullopt;
  }
  const auto found = parsed.find(key);
  if (found == parsed.end() || !found->is_string()) {
    error = std::string("Field \"") + key + "\" is missing or not a string";
    return std::nullopt;
  }
  return found->get<std::string>();
}

json mode_json(const IdlePauser& pauser) {
  const auto controller = pauser.controller();
  return {{"mode", to_string(pauser.mode())},
          {"controller",
           controller == Controller::kNobody ? json(nullptr) : json(to_string(controller))}};
}

json json_body(const char* description, json properties, std::vector<std::string> required) {
  return {
      {"required", true},
      {"description", description},
      {"content",
       {{"application/json",
         {{"schema", {{"type", "object"}, {"required", required}, {"properties", properties}}}}}}}};
}

json operation(const char* summary, const char* ok) {
  const json error_ref{{"$ref", "#/components/schemas/ErrorResponse"}};
  return {{"summary", summary},
          {"responses",
           {{"200", {{"description", ok}}},
            {"422",
             {{"description", "Invalid body"},
              {"content", {{"application/json", {{"schema", error_ref}}}}}}}}}};
}

}  // namespace

json idle_openapi_paths() {
  const json origin{{"type", "string"}, {"enum", {"user", "agent", "unknown"}}};
  const json mode{{"type", "string"}, {"enum", {"human-only", "agent-only", "hybrid"}}};
  auto activity = operation("Report activity, which resets the idle clock", "Activity recorded");
  activity["requestBody"] = json_body("Who acted", {{"origin", origin}}, {"origin"});
  auto set_mode =
      operation("Set the control mode, kept across restarts", "The mode and controller");
  set_mode["requestBody"] = json_body("The new mode", {{"mode", mode}}, {"mode"});
  return {{"/activity", {{"post", activity}}},
          {"/control/mode",
           {{"get",
             {{"summary", "Read the control mode and the controller"},
              {"responses", {{"200", {{"description", "The mode and controller"}}}}}}},
            {"post", set_mode}}}};
}

std::optional<ActivityOrigin> parse_activity_request(const std::string& body, std::string& error) {
  const auto text = required_text(body, "origin", error);
  if (!text) {
    return std::nullopt;
  }
  const auto origin = parse_activity_origin(*text);
  if (!origin) {
    error = "Field \"origin\" must be user, agent or unknown (got \"" + *text + "\")";
  }
  return origin;
}

std::optional<ControlMode> parse_mode_request(const std::string& body, std::string& error) {
  const auto text = required_text(body, "mode", error);
  if (!text) {
    return std::nullopt;
  }
  const auto mode = parse_control_mode(*text);
  if (!mode) {
    error = "Field \"mode\" must be human-only, agent-only or hybrid (got \"" + *text + "\")";
  }
  return mode;
}

void add_idle_routes(shared::Router& router, IdlePauser& pauser) {
  router.add("POST", "/activity", [&pauser](const shared::HttpRequest& request) {
    std::string error;
    const auto origin = parse_activity_request(request.body, error);
    if (!origin) {
      return shared::HttpResponse::error(422, error);
    }
    pauser.record_activity(*origin, "api");
    return shared::HttpResponse::json(200, {{"status", "ok"}, {"origin", to_string(*origin)}});
  });
  router.add("GET", "/control/mode", [&pauser](const shared::HttpRequest&) {
    return shared::HttpResponse::json(200, mode_json(pauser));
  });
  router.add("POST", "/control/mode", [&pauser](const shared::HttpRequest& request) {
    std::string error;
    const auto mode = parse_mode_request(request.body, error);
    if (!mode) {
      return shared::HttpResponse::error(422, error);
    }
    const bool saved = pauser.set_mode(*mode);
    auto body = mode_json(pauser);
    if (!saved) {
      body["warning"] = "Saving the mode failed, so it lasts only until the node restarts.";
    }
    return shared::HttpResponse::json(200, body);
  });
}

}  // namespace winebot::node

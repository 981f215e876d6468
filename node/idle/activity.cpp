#include "node/idle/activity.hpp"

namespace winebot::node {

const char* to_string(ActivityOrigin origin) {
  switch (origin) {
    case ActivityOrigin::kUser:
      return "user";
    case ActivityOrigin::kAgent:
      return "agent";
    case ActivityOrigin::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<ActivityOrigin> parse_activity_origin(std::string_view text) {
  if (text == "user") {
    return ActivityOrigin::kUser;
  }
  if (text == "agent") {
    return ActivityOrigin::kAgent;
  }
  if (text == "unknown") {
    return ActivityOrigin::kUnknown;
  }
  return std::nullopt;
}

const char* to_string(Controller controller) {
  switch (controller) {
    case Controller::kUser:
      return "user";
    case Controller::kAgent:
      return "agent";
    case Controller::kNobody:
      break;
  }
  return "nobody";
}

}  // namespace winebot::node

#pragma once

#include <optional>
#include <string_view>

namespace winebot::node {

// Who produced an input: WineBot's `origin` field of input events. X server input and lines
// without a known origin are kUnknown: they count as activity but do not name a controller.
enum class ActivityOrigin { kUnknown, kUser, kAgent };

const char* to_string(ActivityOrigin origin);

// Parses "user", "agent" or "unknown" (exact, lower case); anything else is nullopt.
std::optional<ActivityOrigin> parse_activity_origin(std::string_view text);

// Who is in control of the session: the control mode's fixed party, or in hybrid mode whoever
// acted last. kNobody until a user or an agent has acted in hybrid mode.
enum class Controller { kNobody, kUser, kAgent };

// Returns "user", "agent" or "nobody".
const char* to_string(Controller controller);

}  // namespace winebot::node

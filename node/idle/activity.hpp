#pragma once

#include <optional>
#include <string_view>

namespace winebot::node {

// The producer of an input, as WineBot's `origin` field of input events names it. X server input
// and lines without a known origin are kUnknown: they count as activity but do not name a
// controller.
enum class ActivityOrigin { kUnknown, kUser, kAgent };

const char* to_string(ActivityOrigin origin);

// Parses "user", "agent" or "unknown" (exact, lower case); anything else is nullopt.
std::optional<ActivityOrigin> parse_activity_origin(std::string_view text);

// The party in control of the session: the one the control mode fixes, or in hybrid mode the
// last one to act. kNobody until a user or an agent has acted in hybrid mode.
enum class Controller { kNobody, kUser, kAgent };

// Returns "user", "agent" or "nobody".
const char* to_string(Controller controller);

}  // namespace winebot::node

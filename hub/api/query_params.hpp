#pragma once

#include <optional>
#include <string>

#include "shared/http/http_message.hpp"

namespace winebot::hub {

// Reads the integer query parameter `name`, or `fallback` when it is absent. Returns nullopt and
// sets `error` to a 400 naming the parameter and its range when the value is not an integer in
// [min, max].
std::optional<long long> integer_query(const shared::HttpRequest& request, const std::string& name,
                                       long long fallback, long long min, long long max,
                                       shared::HttpResponse& error);

}  // namespace winebot::hub

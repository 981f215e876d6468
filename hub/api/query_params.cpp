#include "hub/api/query_params.hpp"

#include "shared/config/option_parser.hpp"

namespace winebot::hub {

std::optional<long long> integer_query(const shared::HttpRequest& request, const std::string& name,
                                       long long fallback, long long min, long long max,
                                       shared::HttpResponse& error) {
  const auto text = request.query_value(name);
  if (!text) {
    return fallback;
  }
  const auto value = shared::parse_integer(*text);
  if (!value || *value < min || *value > max) {
    error = shared::HttpResponse::error(
        400, "invalid " + name + " '" + *text + "': expected an integer from " +
                 std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

}  // namespace winebot::hub

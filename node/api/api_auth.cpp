#include "node/api/api_auth.hpp"

#include <cstdlib>

#include "shared/crypto/digest.hpp"

namespace winebot::node {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

bool is_exempt(const std::string& path) {
  return path == "/" || path.rfind("/ui", 0) == 0 || path == "/openapi.json" || path == "/docs" ||
         path == "/redoc";
}

}  // namespace

ExpectedToken environment_token(std::optional<std::string> startup_value) {
  const std::string fallback = trim(startup_value.value_or(""));
  return [fallback] {
    const char* current = std::getenv("API_TOKEN");
    return current != nullptr ? trim(current) : fallback;
  };
}

std::string advertised_token_signature(const ExpectedToken& expected) {
  return shared::token_signature(expected());
}

bool constant_time_equal(std::string_view left, std::string_view right) {
  unsigned char difference = left.size() == right.size() ? 0 : 1;
  const auto length = left.size() > right.size() ? left.size() : right.size();
  for (std::size_t index = 0; index < length; ++index) {
    const auto a = index < left.size() ? static_cast<unsigned char>(left[index]) : 0;
    const auto b = index < right.size() ? static_cast<unsigned char>(right[index]) : 0;
    difference |= static_cast<unsigned char>(a ^ b);
  }
  return difference == 0;
}

shared::RequestFilter make_api_key_filter(const shared::Router& router, ExpectedToken expected) {
  return [&router, expected = std::move(expected)](
             const shared::HttpRequest& request) -> std::optional<shared::HttpResponse> {
    const std::string token = expected();
    if (token.empty() || is_exempt(request.path) || !router.has_route(request.path)) {
      return std::nullopt;
    }
    const auto provided = request.header("x-api-key");
    if (provided && constant_time_equal(trim(*provided), token)) {
      return std::nullopt;
    }
    return shared::HttpResponse::error(401, "Invalid or missing API Token");
  };
}

}  // namespace winebot::node

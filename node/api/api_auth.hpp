#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shared/http/router.hpp"

namespace winebot::node {

// Returns the token requests must carry, read again for every request so that a changed
// API_TOKEN takes effect without a restart. Empty means the API is open.
using ExpectedToken = std::function<std::string()>;

// The expected token as WineBot computes it: API_TOKEN from the environment at request time,
// else the value the process started with, both trimmed of surrounding whitespace.
ExpectedToken environment_token(std::optional<std::string> startup_value);

// The TXT `token_sig` for the token `expected` returns now (see shared::token_signature), so that
// a hub can check the token it has without the token being sent. Empty when the API is open.
std::string advertised_token_signature(const ExpectedToken& expected);

// Compares two byte strings in time that depends only on their lengths, not their contents.
bool constant_time_equal(std::string_view left, std::string_view right);

// Builds the request filter for WineBot's `X-API-Key` scheme. With a token set, a request for a
// known route without the header or with another value gets 401 {"detail": "Invalid or missing
// API Token"}. Exempt: "/", paths under "/ui", and "/openapi.json", "/docs", "/redoc". Unknown
// paths are left to the router, which returns 404 with or without a token.
shared::RequestFilter make_api_key_filter(const shared::Router& router, ExpectedToken expected);

}  // namespace winebot::node

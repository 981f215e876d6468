#pragma once

#include <string>
#include <string_view>

namespace winebot::shared {

// Returns a random (version 4, RFC 9562) UUID in lowercase 8-4-4-4-12 form.
std::string generate_uuid_v4();

// True for the canonical 36-character hex form with dashes, any version, either case.
bool is_uuid(std::string_view text);

}  // namespace winebot::shared

#pragma once

#include <string>
#include <string_view>

namespace winebot::shared {

// Maximum length of a DNS label, and so of a DNS-SD instance name (RFC 6763 section 4.1.1).
inline constexpr std::size_t kMaxInstanceNameBytes = 63;

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 character. `text` must be valid
// UTF-8.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

// Returns the instance name to try after `attempt` collisions: `base` itself for attempt 0, else
// `base #N` with N = attempt + 1, the base shortened so that the whole stays within
// kMaxInstanceNameBytes and the suffix always survives.
std::string alternative_instance_name(std::string_view base, int attempt);

}  // namespace winebot::shared

#include "shared/mdns/service_name.hpp"

#include <cstdint>

namespace winebot::shared {

bool is_valid_utf8(std::string_view text) {
  std::size_t index = 0;
  while (index < text.size()) {
    const auto lead = static_cast<unsigned char>(text[index]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      ++index;
      continue;
    }
    if ((lead & 0xe0) == 0xc0) {
      length = 2;
      code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (index + length > text.size()) {
      return false;
    }
    for (std::size_t offset = 1; offset < length; ++offset) {
      const auto next = static_cast<unsigned char>(text[index + offset]);
      if ((next & 0xc0) != 0x80) {
        return false;
      }
      code_point = (code_point << 6) | (next & 0x3f);
    }
    const std::uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    const bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
    if (code_point < minimum || code_point > 0x10ffff || surrogate) {
      return false;
    }
    index += length;
  }
  return true;
}

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  std::size_t end = max_bytes;
  // Step back over continuation bytes to the start of the character that would be split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

std::string alternative_instance_name(std::string_view base, int attempt) {
  if (attempt <= 0) {
    return truncate_utf8(base, kMaxInstanceNameBytes);
  }
  const std::string suffix = " #" + std::to_string(attempt + 1);
  return truncate_utf8(base, kMaxInstanceNameBytes - suffix.size()) + suffix;
}

}  // namespace winebot::shared

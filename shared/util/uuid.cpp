#include "shared/util/uuid.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <random>

namespace winebot::shared {

std::string generate_uuid_v4() {
  std::random_device entropy;
  std::array<std::uint8_t, 16> bytes{};
  for (auto& byte : bytes) {
    byte = static_cast<std::uint8_t>(entropy() & 0xff);
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // Version 4.
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 9562 variant.

  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t index = 0; index < bytes.size(); ++index) {
    if (index == 4 || index == 6 || index == 8 || index == 10) {
      text += '-';
    }
    text += kHex[bytes[index] >> 4];
    text += kHex[bytes[index] & 0x0f];
  }
  return text;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t index = 0; index < text.size(); ++index) {
    const bool dash_position = index == 8 || index == 13 || index == 18 || index == 23;
    const auto character = static_cast<unsigned char>(text[index]);
    if (dash_position ? character != '-' : std::isxdigit(character) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace winebot::shared

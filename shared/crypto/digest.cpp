#include "shared/crypto/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace winebot::shared {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("EVP_Digest failed to compute SHA-256");
  }
  return digest;
}

std::string to_hex(const unsigned char* bytes, std::size_t count) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(count * 2);
  for (std::size_t index = 0; index < count; ++index) {
    text += kHex[bytes[index] >> 4];
    text += kHex[bytes[index] & 0x0f];
  }
  return text;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  const auto digest = sha256(data);
  return to_hex(digest.data(), digest.size());
}

std::string token_signature(std::string_view token) {
  constexpr std::size_t kSignatureHexDigits = 16;
  if (token.empty()) {
    return {};
  }
  return sha256_hex(token).substr(0, kSignatureHexDigits);
}

std::string random_hex(std::size_t byte_count) {
  std::vector<unsigned char> bytes(byte_count);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed to produce random bytes");
  }
  return to_hex(bytes.data(), bytes.size());
}

bool secrets_equal(std::string_view left, std::string_view right) {
  const auto left_digest = sha256(left);
  const auto right_digest = sha256(right);
  return CRYPTO_memcmp(left_digest.data(), right_digest.data(), left_digest.size()) == 0;
}

}  // namespace winebot::shared

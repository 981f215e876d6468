#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace winebot::shared {

// SHA-256 of `data` as 64 lowercase hex digits, computed by OpenSSL's libcrypto.
std::string sha256_hex(std::string_view data);

// The `token_sig` a node advertises in TXT for its API token: the first 16 hex digits (64 bits)
// of the token's SHA-256. It lets a hub tell whether it has the node's token without the token
// being sent. Empty for an empty token.
std::string token_signature(std::string_view token);

// `byte_count` bytes from OpenSSL's CSPRNG as lowercase hex. Throws std::runtime_error when the
// generator fails, which only happens when the system has no entropy source.
std::string random_hex(std::size_t byte_count);

// Compares two secrets in time that depends on neither their contents nor their lengths: both
// are hashed with SHA-256 and the digests compared with CRYPTO_memcmp.
bool secrets_equal(std::string_view left, std::string_view right);

}  // namespace winebot::shared

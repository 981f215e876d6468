#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winebot::shared {

// One DNS-SD TXT attribute (RFC 6763 section 6). A missing value (`key` alone) and an empty
// value (`key=`) are different things: the first is a boolean flag.
struct TxtEntry {
  std::string key;
  std::optional<std::string> value;

  bool operator==(const TxtEntry&) const = default;
};

using TxtRecord = std::vector<TxtEntry>;

// Maximum length of one TXT string, key, `=` and value together (RFC 6763 section 6.1).
inline constexpr std::size_t kMaxTxtStringBytes = 255;

struct TxtEncoding {
  std::vector<std::string> strings;
  std::string error;  // Empty on success; otherwise names the offending key.
};

// Encodes `record` as TXT strings. Fails when a key is empty, contains `=` or a byte outside
// printable ASCII, appears twice (keys compare case-insensitively), or when one string would
// exceed kMaxTxtStringBytes.
TxtEncoding encode_txt(const TxtRecord& record);

// Decodes TXT strings as a client must (RFC 6763 sections 6.3 and 6.4): a string without `=` is
// a key with no value, a string starting with `=` or an empty string is ignored, and only the
// first occurrence of a key counts. Never fails.
TxtRecord parse_txt(const std::vector<std::string>& strings);

// Looks up `key` case-insensitively. Returns nullopt when absent and "" for a valueless flag.
std::optional<std::string> find_txt_value(const TxtRecord& record, std::string_view key);

}  // namespace winebot::shared

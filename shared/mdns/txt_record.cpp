#include "shared/mdns/txt_record.hpp"

#include <algorithm>
#include <cctype>

namespace winebot::shared {
namespace {

bool same_key(std::string_view left, std::string_view right) {
  return std::equal(left.begin(), left.end(), right.begin(), right.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

bool valid_key(std::string_view key) {
  if (key.empty()) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char character) {
    const auto byte = static_cast<unsigned char>(character);
    return byte >= 0x20 && byte <= 0x7e && byte != '=';
  });
}

}  // namespace

TxtEncoding encode_txt(const TxtRecord& record) {
  TxtEncoding encoding;
  for (std::size_t index = 0; index < record.size(); ++index) {
    const auto& entry = record[index];
    if (!valid_key(entry.key)) {
      encoding.error =
          "invalid TXT key '" + entry.key + "': keys must be non-empty printable ASCII without '='";
      encoding.strings.clear();
      return encoding;
    }
    for (std::size_t earlier = 0; earlier < index; ++earlier) {
      if (same_key(record[earlier].key, entry.key)) {
        encoding.error = "duplicate TXT key '" + entry.key + "'";
        encoding.strings.clear();
        return encoding;
      }
    }
    std::string text = entry.key;
    if (entry.value) {
      text += '=';
      text += *entry.value;
    }
    if (text.size() > kMaxTxtStringBytes) {
      encoding.error = "TXT entry '" + entry.key + "' is " + std::to_string(text.size()) +
                       " bytes; the limit is " + std::to_string(kMaxTxtStringBytes);
      encoding.strings.clear();
      return encoding;
    }
    encoding.strings.push_back(std::move(text));
  }
  return encoding;
}

TxtRecord parse_txt(const std::vector<std::string>& strings) {
  TxtRecord record;
  for (const auto& text : strings) {
    const auto equals = text.find('=');
    const std::string key = text.substr(0, equals);
    if (key.empty()) {
      continue;
    }
    const bool seen = std::any_of(record.begin(), record.end(),
                                  [&](const TxtEntry& entry) { return same_key(entry.key, key); });
    if (seen) {
      continue;
    }
    if (equals == std::string::npos) {
      record.push_back({key, std::nullopt});
    } else {
      record.push_back({key, text.substr(equals + 1)});
    }
  }
  return record;
}

std::optional<std::string> find_txt_value(const TxtRecord& record, std::string_view key) {
  for (const auto& entry : record) {
    if (same_key(entry.key, key)) {
      return entry.value.value_or("");
    }
  }
  return std::nullopt;
}

}  // namespace winebot::shared

#include "shared/mdns/txt_record.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

using winebot::shared::encode_txt;
using winebot::shared::find_txt_value;
using winebot::shared::kMaxTxtStringBytes;
using winebot::shared::parse_txt;
using winebot::shared::TxtEntry;
using winebot::shared::TxtRecord;
using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("encode_txt writes a valueless key without '='", "[mdns]") {
  const auto encoding = encode_txt({{"flag", std::nullopt}, {"empty", ""}, {"txtvers", "1"}});

  REQUIRE(encoding.error.empty());
  REQUIRE(encoding.strings == Strings{"flag", "empty=", "txtvers=1"});
}

TEST_CASE("encode_txt keeps arbitrary bytes in values", "[mdns]") {
  const std::string binary("a\0=\xff", 4);

  const auto encoding = encode_txt({{"blob", binary}});

  REQUIRE(encoding.error.empty());
  REQUIRE(encoding.strings == Strings{"blob=" + binary});
}

TEST_CASE("encode_txt accepts a string of exactly 255 bytes", "[mdns]") {
  // "k" and "=" take two of the 255 bytes.
  const std::string value(kMaxTxtStringBytes - 2, 'v');

  const auto encoding = encode_txt({{"k", value}});

  REQUIRE(encoding.error.empty());
  REQUIRE(encoding.strings.size() == 1);
  REQUIRE(encoding.strings[0].size() == 255);
}

TEST_CASE("encode_txt rejects a string of 256 bytes", "[mdns]") {
  const std::string value(kMaxTxtStringBytes - 1, 'v');

  const auto encoding = encode_txt({{"ok", "1"}, {"k", value}});

  REQUIRE(encoding.strings.empty());
  REQUIRE_THAT(encoding.error, Catch::Contains("'k'"));
  REQUIRE_THAT(encoding.error, Catch::Contains("256"));
}

TEST_CASE("encode_txt applies the limit to a valueless key", "[mdns]") {
  REQUIRE(encode_txt({{std::string(255, 'k'), std::nullopt}}).error.empty());
  REQUIRE_FALSE(encode_txt({{std::string(256, 'k'), std::nullopt}}).error.empty());
}

TEST_CASE("encode_txt rejects keys differing only in case", "[mdns]") {
  const auto encoding = encode_txt({{"node_id", "a"}, {"Node_ID", "b"}});

  REQUIRE(encoding.strings.empty());
  REQUIRE_THAT(encoding.error, Catch::Contains("duplicate"));
  REQUIRE_THAT(encoding.error, Catch::Contains("Node_ID"));
}

TEST_CASE("encode_txt rejects invalid key bytes", "[mdns]") {
  const std::vector<std::string> invalid_keys = {
      "",             // empty
      "a=b",          // '=' ends a key
      "tab\tkey",     // control character
      "del\x7f",      // DEL is not printable
      "caf\xc3\xa9",  // UTF-8 is not ASCII
  };
  for (const auto& key : invalid_keys) {
    INFO("key: " << key);
    const auto encoding = encode_txt({{key, "1"}});
    REQUIRE(encoding.strings.empty());
    REQUIRE_THAT(encoding.error, Catch::Contains("invalid TXT key"));
  }
}

TEST_CASE("encode_txt accepts every printable ASCII key byte", "[mdns]") {
  // RFC 6763 section 6.4 allows 0x20 to 0x7E in keys, except '='.
  std::string key;
  for (char byte = 0x20; byte <= 0x7e; ++byte) {
    if (byte != '=') {
      key += byte;
    }
  }

  REQUIRE(encode_txt({{key, "1"}}).error.empty());
}

TEST_CASE("parse_txt tells a valueless key from an empty value", "[mdns]") {
  const TxtRecord record = parse_txt({"flag", "empty="});

  REQUIRE(record == TxtRecord{{"flag", std::nullopt}, {"empty", ""}});
}

TEST_CASE("parse_txt splits at the first '='", "[mdns]") {
  const TxtRecord record = parse_txt({"token_sig=a=b=="});

  REQUIRE(record == TxtRecord{{"token_sig", "a=b=="}});
}

TEST_CASE("parse_txt keeps the first of duplicate keys", "[mdns]") {
  const TxtRecord record = parse_txt({"state=idle", "STATE=recording", "state"});

  REQUIRE(record == TxtRecord{{"state", "idle"}});
}

TEST_CASE("parse_txt ignores strings starting with '='", "[mdns]") {
  const TxtRecord record = parse_txt({"=orphan", "=", "", "api_port=8000"});

  REQUIRE(record == TxtRecord{{"api_port", "8000"}});
}

TEST_CASE("parse_txt reads back what encode_txt wrote", "[mdns]") {
  const TxtRecord original = {
      {"txtvers", "1"}, {"node_id", "3f2a"}, {"caps", ""}, {"legacy", std::nullopt}};

  const auto encoding = encode_txt(original);

  REQUIRE(encoding.error.empty());
  REQUIRE(parse_txt(encoding.strings) == original);
}

TEST_CASE("find_txt_value ignores key case", "[mdns]") {
  const TxtRecord record = parse_txt({"Node_Id=abc", "flag"});

  REQUIRE(find_txt_value(record, "node_id") == std::optional<std::string>("abc"));
  REQUIRE(find_txt_value(record, "FLAG") == std::optional<std::string>(""));
  REQUIRE(find_txt_value(record, "missing") == std::nullopt);
}

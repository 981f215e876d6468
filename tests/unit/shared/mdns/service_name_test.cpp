#include "shared/mdns/service_name.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using winebot::shared::alternative_instance_name;
using winebot::shared::is_valid_utf8;
using winebot::shared::kMaxInstanceNameBytes;
using winebot::shared::truncate_utf8;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Checks truncate_utf8 at every cut inside and after `character`, which follows `prefix`.
void check_every_cut(const std::string& prefix, const std::string& character) {
  const std::string text = prefix + character + "z";
  for (std::size_t cut = prefix.size(); cut <= prefix.size() + character.size(); ++cut) {
    INFO("cut at byte " << cut);
    const std::string result = truncate_utf8(text, cut);
    const bool whole_character = cut == prefix.size() + character.size();
    REQUIRE(is_valid_utf8(result));
    REQUIRE(result == (whole_character ? prefix + character : prefix));
  }
}

}  // namespace

TEST_CASE("truncate_utf8 keeps text that fits", "[mdns]") {
  REQUIRE(truncate_utf8("WineBot on host", 15) == "WineBot on host");
  REQUIRE(truncate_utf8("", 0).empty());
}

TEST_CASE("truncate_utf8 cuts ASCII at the limit", "[mdns]") {
  REQUIRE(truncate_utf8("abcdef", 4) == "abcd");
  REQUIRE(truncate_utf8("abcdef", 0).empty());
}

TEST_CASE("truncate_utf8 never splits a 2-byte character", "[mdns]") {
  check_every_cut("ab", "\xc3\xa9");  // U+00E9
}

TEST_CASE("truncate_utf8 never splits a 3-byte character", "[mdns]") {
  check_every_cut("ab", "\xe2\x82\xac");  // U+20AC
}

TEST_CASE("truncate_utf8 never splits a 4-byte character", "[mdns]") {
  check_every_cut("ab", "\xf0\x9f\x8d\xb7");  // U+1F377
}

TEST_CASE("truncate_utf8 can cut to nothing before a character", "[mdns]") {
  REQUIRE(truncate_utf8("\xf0\x9f\x8d\xb7", 3).empty());
}

TEST_CASE("alternative_instance_name returns the base first", "[mdns]") {
  REQUIRE(alternative_instance_name("WineBot on host", 0) == "WineBot on host");
}

TEST_CASE("alternative_instance_name cuts a long base at 63 bytes", "[mdns]") {
  const std::string base(100, 'n');

  REQUIRE(alternative_instance_name(base, 0) == std::string(kMaxInstanceNameBytes, 'n'));
}

TEST_CASE("alternative_instance_name numbers from 2", "[mdns]") {
  REQUIRE(alternative_instance_name("WineBot on host", 1) == "WineBot on host #2");
  REQUIRE(alternative_instance_name("WineBot on host", 9) == "WineBot on host #10");
}

TEST_CASE("alternative_instance_name keeps the suffix within 63 bytes", "[mdns]") {
  // 2-, 3- and 4-byte characters, so that every attempt cuts at a different offset.
  const std::vector<std::string> bases = {
      std::string(63, 'a'),
      [] {
        std::string text;
        for (int i = 0; i < 40; ++i) {
          text += "\xc3\xa9";
        }
        return text;
      }(),
      [] {
        std::string text = "x";
        for (int i = 0; i < 30; ++i) {
          text += "\xe2\x82\xac";
        }
        return text;
      }(),
      [] {
        std::string text = "yz";
        for (int i = 0; i < 20; ++i) {
          text += "\xf0\x9f\x8d\xb7";
        }
        return text;
      }(),
  };
  for (const auto& base : bases) {
    for (int attempt = 1; attempt <= 1000; attempt *= 3) {
      INFO("base of " << base.size() << " bytes, attempt " << attempt);
      const std::string name = alternative_instance_name(base, attempt);
      const std::string suffix = " #" + std::to_string(attempt + 1);
      REQUIRE(name.size() <= kMaxInstanceNameBytes);
      REQUIRE(ends_with(name, suffix));
      REQUIRE(is_valid_utf8(name));
      REQUIRE(base.compare(0, name.size() - suffix.size(), name, 0, name.size() - suffix.size()) ==
              0);
    }
  }
}

TEST_CASE("is_valid_utf8 accepts well-formed text", "[mdns]") {
  REQUIRE(is_valid_utf8(""));
  REQUIRE(is_valid_utf8("WineBot"));
  REQUIRE(is_valid_utf8("\xc2\x80"));          // U+0080, smallest 2-byte
  REQUIRE(is_valid_utf8("\xe0\xa0\x80"));      // U+0800, smallest 3-byte
  REQUIRE(is_valid_utf8("\xef\xbf\xbd"));      // U+FFFD
  REQUIRE(is_valid_utf8("\xf0\x90\x80\x80"));  // U+10000, smallest 4-byte
  REQUIRE(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, largest
  REQUIRE(is_valid_utf8(std::string("nul\0inside", 10)));
}

TEST_CASE("is_valid_utf8 rejects overlong forms", "[mdns]") {
  REQUIRE_FALSE(is_valid_utf8("\xc0\xaf"));          // '/' in 2 bytes
  REQUIRE_FALSE(is_valid_utf8("\xc1\xbf"));          // U+007F in 2 bytes
  REQUIRE_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // '/' in 3 bytes
  REQUIRE_FALSE(is_valid_utf8("\xe0\x9f\xbf"));      // U+07FF in 3 bytes
  REQUIRE_FALSE(is_valid_utf8("\xf0\x80\x80\xaf"));  // '/' in 4 bytes
  REQUIRE_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));  // U+FFFF in 4 bytes
}

TEST_CASE("is_valid_utf8 rejects surrogates", "[mdns]") {
  REQUIRE_FALSE(is_valid_utf8("\xed\xa0\x80"));  // U+D800
  REQUIRE_FALSE(is_valid_utf8("\xed\xbf\xbf"));  // U+DFFF
  REQUIRE(is_valid_utf8("\xed\x9f\xbf"));        // U+D7FF, just below
}

TEST_CASE("is_valid_utf8 rejects values above U+10FFFF", "[mdns]") {
  REQUIRE_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  REQUIRE_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
  REQUIRE_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));  // old 5-byte form
}

TEST_CASE("is_valid_utf8 rejects truncated sequences", "[mdns]") {
  REQUIRE_FALSE(is_valid_utf8("\xc3"));
  REQUIRE_FALSE(is_valid_utf8("\xe2\x82"));
  REQUIRE_FALSE(is_valid_utf8("\xf0\x9f\x8d"));
  REQUIRE_FALSE(is_valid_utf8("ab\xe2\x82"));
  REQUIRE_FALSE(is_valid_utf8("\xe2\x82z"));  // continuation replaced by ASCII
}

TEST_CASE("is_valid_utf8 rejects stray continuation bytes", "[mdns]") {
  REQUIRE_FALSE(is_valid_utf8("\x80"));
  REQUIRE_FALSE(is_valid_utf8("a\xbf"));
  REQUIRE_FALSE(is_valid_utf8("\xc3\xa9\xa9"));
  REQUIRE_FALSE(is_valid_utf8("\xff"));
}

#include "hub/discovery/dns_message.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/hub/discovery/dns_test_messages.hpp"

namespace winebot::hub::dns {
namespace {

using testing::kResponseFlags;
using testing::kServiceName;
using testing::MessageBuilder;

ParseResult parse(const std::vector<std::uint8_t>& bytes) {
  return parse_message(std::span(bytes.data(), bytes.size()));
}

TEST_CASE("encode_query writes header, question and EDNS", "[dns]") {
  const auto query = encode_query(0xbeef, "_winebot._tcp.Nodes.test.", RecordType::kSrv, 1232);
  REQUIRE(query.error.empty());

  MessageBuilder expected(0xbeef, 0x0100);
  expected.counts(1, 0, 0, 1).name("_winebot._tcp.Nodes.test").u16(33).u16(1);
  expected.u8(0).u16(41).u16(1232).u32(0).u16(0);
  CHECK(query.bytes == expected.bytes());
}

TEST_CASE("encode_query without EDNS has no OPT record", "[dns]") {
  const auto query = encode_query(7, "a.b", RecordType::kA, 0);
  REQUIRE(query.error.empty());
  MessageBuilder expected(7, 0x0100);
  expected.counts(1, 0, 0, 0).question("a.b", 1);
  CHECK(query.bytes == expected.bytes());
}

TEST_CASE("encode_query rejects invalid names", "[dns]") {
  CHECK_FALSE(encode_query(1, "", RecordType::kA, 0).error.empty());
  CHECK_FALSE(encode_query(1, ".", RecordType::kA, 0).error.empty());
  CHECK_FALSE(encode_query(1, "a..b", RecordType::kA, 0).error.empty());
  CHECK_FALSE(encode_query(1, ".a", RecordType::kA, 0).error.empty());
  const std::string longest_label = std::string(63, 'x').append(".test");
  const std::string too_long_label = std::string(64, 'x').append(".test");
  CHECK(encode_query(1, longest_label, RecordType::kA, 0).error.empty());
  CHECK_FALSE(encode_query(1, too_long_label, RecordType::kA, 0).error.empty());

  // Four labels of 63 bytes encode to 4 * 64 + 1 = 257 bytes, over the 255-byte limit.
  const std::string label(63, 'y');
  const auto long_name = label + "." + label + "." + label + "." + label;
  CHECK(encode_query(1, long_name, RecordType::kA, 0).error == "name is longer than 255 bytes");
  // Three labels of 63 and one of 61 bytes encode to exactly 255 bytes.
  const auto longest = label + "." + label + "." + label + "." + std::string(61, 'z');
  CHECK(encode_query(1, longest, RecordType::kA, 0).error.empty());
}

TEST_CASE("parse_message reads an encoded query back", "[dns]") {
  const auto query = encode_query(42, "Node-0.Nodes.Test", RecordType::kAaaa, 1232);
  const auto parsed = parse(query.bytes);
  REQUIRE(parsed.message);
  CHECK(parsed.message->id == 42);
  CHECK_FALSE(parsed.message->response);
  REQUIRE(parsed.message->questions.size() == 1);
  CHECK(parsed.message->questions[0].name == "node-0.nodes.test");
  CHECK(parsed.message->questions[0].type == 28);
  REQUIRE(parsed.message->additionals.size() == 1);
  CHECK(parsed.message->additionals[0].type == 41);
  CHECK(parsed.message->additionals[0].record_class == 1232);
}

TEST_CASE("parse_message reads SRV and A records", "[dns]") {
  const auto parsed = parse(testing::two_target_response(9));
  REQUIRE(parsed.message);
  const auto& message = *parsed.message;
  CHECK(message.response);
  CHECK_FALSE(message.truncated);
  CHECK(message.rcode == kRcodeNoError);
  REQUIRE(message.answers.size() == 2);
  REQUIRE(message.answers[0].srv);
  CHECK(message.answers[0].name == kServiceName);
  CHECK(message.answers[0].ttl == 30);
  CHECK(message.answers[0].srv->priority == 0);
  CHECK(message.answers[0].srv->weight == 5);
  CHECK(message.answers[0].srv->port == 9001);
  CHECK(message.answers[0].srv->target == "node-0.nodes.test");
  CHECK(message.answers[1].srv->port == 9002);
  REQUIRE(message.additionals.size() == 1);
  CHECK(message.additionals[0].address == "127.0.0.1");
}

TEST_CASE("parse_message reads AAAA, CNAME and skips unknown types", "[dns]") {
  MessageBuilder builder(3, kResponseFlags);
  builder.counts(0, 3, 0, 0);
  builder.aaaa_loopback("v6.test");
  builder.cname("alias.test", "v6.test");
  builder.record_header("text.test", 16, 4).u8(3).u8('a').u8('b').u8('c');  // TXT
  const auto parsed = parse(builder.bytes());
  REQUIRE(parsed.message);
  REQUIRE(parsed.message->answers.size() == 3);
  CHECK(parsed.message->answers[0].address == "::1");
  CHECK(parsed.message->answers[1].canonical_name == "v6.test");
  CHECK(parsed.message->answers[2].type == 16);
  CHECK(parsed.message->answers[2].address.empty());
}

TEST_CASE("parse_message follows compression pointers", "[dns]") {
  MessageBuilder builder(5, kResponseFlags);
  builder.counts(1, 1, 0, 0).question("_winebot._tcp.nodes.test", 33);
  // Owner: pointer to the question name at offset 12. Target: "node-7" then a pointer to
  // "nodes.test" inside the question name (offset 12 + 9 + 5 = 26).
  builder.pointer(12).u16(33).u16(1).u32(60).u16(6 + 7 + 2);
  builder.u16(1).u16(2).u16(8000).u8(6);
  for (const char character : std::string("node-7")) {
    builder.u8(static_cast<std::uint8_t>(character));
  }
  builder.pointer(26);
  const auto parsed = parse(builder.bytes());
  REQUIRE(parsed.message);
  REQUIRE(parsed.message->answers.size() == 1);
  CHECK(parsed.message->answers[0].name == "_winebot._tcp.nodes.test");
  CHECK(parsed.message->answers[0].srv->target == "node-7.nodes.test");
}

TEST_CASE("parse_message reads the root target as empty", "[dns]") {
  MessageBuilder builder(5, kResponseFlags);
  builder.counts(0, 1, 0, 0).srv(kServiceName, 0, "");
  const auto parsed = parse(builder.bytes());
  REQUIRE(parsed.message);
  CHECK(parsed.message->answers[0].srv->target.empty());
}

TEST_CASE("parse_message reads header flags and rcode", "[dns]") {
  MessageBuilder builder(77, 0x8383);  // QR, TC, RD, RA, NXDOMAIN.
  const auto parsed = parse(builder.bytes());
  REQUIRE(parsed.message);
  CHECK(parsed.message->id == 77);
  CHECK(parsed.message->truncated);
  CHECK(parsed.message->rcode == kRcodeNameError);
}

TEST_CASE("parse_message rejects every strict prefix", "[dns]") {
  const auto bytes = testing::two_target_response(11);
  REQUIRE(parse(bytes).message);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(size));
    INFO("prefix of " << size << " bytes");
    const auto parsed = parse(prefix);
    CHECK_FALSE(parsed.message);
    CHECK_FALSE(parsed.error.empty());
  }
}

TEST_CASE("parse_message rejects trailing bytes", "[dns]") {
  auto bytes = testing::two_target_response(11);
  bytes.push_back(0);
  const auto parsed = parse(bytes);
  CHECK_FALSE(parsed.message);
  CHECK(parsed.error == "1 bytes follow the last record");
}

TEST_CASE("parse_message rejects a forward pointer", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(1, 0, 0, 0).pointer(14).u16(1).u16(1);
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
  CHECK(parsed.error == "compression pointer does not point backwards");
}

TEST_CASE("parse_message rejects a pointer to itself", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(1, 0, 0, 0).pointer(12).u16(1).u16(1);
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
  CHECK(parsed.error == "compression pointer does not point backwards");
}

TEST_CASE("parse_message rejects a pointer loop", "[dns]") {
  // Offset 12: label "a", then a pointer to offset 12 again: a label-pointer cycle.
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(1, 0, 0, 0).u8(1).u8('a').pointer(12).u16(1).u16(1);
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
  CHECK_FALSE(parsed.error.empty());
}

TEST_CASE("parse_message rejects a name over 255 bytes through pointers", "[dns]") {
  // Question k (k = 1..5) is one 62-byte label followed by a pointer to question k-1, so it
  // expands to 63 * k + 1 bytes: 253 for the fourth (valid) and 316 for the fifth.
  for (const std::uint16_t questions : {std::uint16_t{4}, std::uint16_t{5}}) {
    MessageBuilder builder(1, kResponseFlags);
    builder.counts(questions, 0, 0, 0);
    std::uint16_t previous = 0;
    for (std::uint16_t index = 0; index < questions; ++index) {
      const auto offset = static_cast<std::uint16_t>(builder.bytes().size());
      builder.u8(62);
      for (int character = 0; character < 62; ++character) {
        builder.u8('x');
      }
      if (index == 0) {
        builder.u8(0);
      } else {
        builder.pointer(previous);
      }
      builder.u16(1).u16(1);
      previous = offset;
    }
    INFO(questions << " questions");
    const auto parsed = parse(builder.bytes());
    if (questions == 4) {
      REQUIRE(parsed.message);
      CHECK(parsed.message->questions.back().name.size() == 4 * 62 + 3);
    } else {
      CHECK_FALSE(parsed.message);
      CHECK(parsed.error == "name is longer than 255 bytes");
    }
  }
}

TEST_CASE("parse_message rejects bad label bytes", "[dns]") {
  for (const std::uint8_t bad : {std::uint8_t{'.'}, std::uint8_t{' '}, std::uint8_t{0},
                                 std::uint8_t{0x7f}, std::uint8_t{0xc3}}) {
    MessageBuilder builder(1, kResponseFlags);
    builder.counts(1, 0, 0, 0).u8(3).u8('a').u8(bad).u8('b').u8(0).u16(1).u16(1);
    INFO("byte " << int{bad});
    const auto parsed = parse(builder.bytes());
    CHECK_FALSE(parsed.message);
    CHECK(parsed.error == "label contains a byte that is not printable ASCII or is a dot");
  }
}

TEST_CASE("parse_message rejects reserved label types", "[dns]") {
  for (const std::uint8_t tag : {std::uint8_t{0x40}, std::uint8_t{0x80}}) {
    MessageBuilder builder(1, kResponseFlags);
    builder.counts(1, 0, 0, 0).u8(tag).u8(0).u16(1).u16(1);
    const auto parsed = parse(builder.bytes());
    CHECK_FALSE(parsed.message);
    CHECK_FALSE(parsed.error.empty());
  }
}

TEST_CASE("parse_message rejects data length past the end", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 1, 0, 0).record_header("a.test", 1, 200).u8(1).u8(2).u8(3).u8(4);
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
  CHECK(parsed.error == "record data length 200 runs past the end of the message");
}

TEST_CASE("parse_message rejects wrong address lengths", "[dns]") {
  MessageBuilder five(1, kResponseFlags);
  five.counts(0, 1, 0, 0).record_header("a.test", 1, 5).u8(1).u8(2).u8(3).u8(4).u8(5);
  CHECK(parse(five.bytes()).error == "A record has 5 bytes of data instead of 4");

  MessageBuilder four(1, kResponseFlags);
  four.counts(0, 1, 0, 0).record_header("a.test", 28, 4).u8(1).u8(2).u8(3).u8(4);
  CHECK(parse(four.bytes()).error == "AAAA record has 4 bytes of data instead of 16");
}

TEST_CASE("parse_message rejects an SRV shorter than its fields", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 1, 0, 0).record_header(kServiceName, 33, 4).u16(0).u16(0);
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
  CHECK_FALSE(parsed.error.empty());
}

TEST_CASE("parse_message rejects an SRV target past its data length", "[dns]") {
  // RDLENGTH says 8, but the target name needs more: the parser must notice the mismatch.
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 1, 0, 0).record_header(kServiceName, 33, 8);
  builder.u16(0).u16(0).u16(80).name("host.test");
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
  CHECK_FALSE(parsed.error.empty());
}

TEST_CASE("parse_message rejects a CNAME shorter than its name", "[dns]") {
  MessageBuilder builder(1, kResponseFlags);
  builder.counts(0, 1, 0, 0).record_header("alias.test", 5, 30).name("host.test");
  const auto parsed = parse(builder.bytes());
  CHECK_FALSE(parsed.message);
}

TEST_CASE("parse_message rejects a count larger than the records", "[dns]") {
  auto bytes = testing::two_target_response(4);
  bytes[7] = 50;  // ANCOUNT 50, with only two answers present.
  const auto parsed = parse(bytes);
  CHECK_FALSE(parsed.message);
  CHECK_FALSE(parsed.error.empty());
}

TEST_CASE("parse_message keeps the header of a cut truncated answer", "[dns]") {
  auto bytes = testing::two_target_response(4);
  bytes[2] |= 0x02;  // TC
  bytes.resize(bytes.size() - 3);
  const auto parsed = parse(bytes);
  REQUIRE(parsed.message);
  CHECK(parsed.message->truncated);
  CHECK(parsed.message->id == 4);
  CHECK(parsed.error.empty());
}

TEST_CASE("parse_message rejects oversized input", "[dns]") {
  std::vector<std::uint8_t> bytes(kMaxMessageBytes + 1, 0);
  CHECK(parse(bytes).error == "message is longer than 65535 bytes");
}

TEST_CASE("normalize_name lowers case and drops the final dot", "[dns]") {
  CHECK(normalize_name("Node-0.Nodes.TEST.") == "node-0.nodes.test");
  CHECK(normalize_name("a") == "a");
  CHECK(normalize_name("") == "");
}

}  // namespace
}  // namespace winebot::hub::dns

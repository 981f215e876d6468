// libFuzzer target for the hub's DNS message parser and the SRV answer readers.
//
// The input is one DNS message as it arrives from the network. Parsing must never read outside
// it (AddressSanitizer checks that). Every name the parser returns must fit the 255-byte wire
// limit, and every question name must encode and parse back to itself. Any violation aborts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

// scripts/run-fuzzers.sh compiles only the target and shared/jsonl, so the hub sources under test
// are compiled in here.
#include "hub/discovery/dns_message.cpp"
#include "hub/discovery/srv_answer.cpp"

namespace {

using namespace winebot::hub::dns;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void check_name(const std::string& name) {
  // 255 wire bytes hold at most 253 characters of text.
  require(name.size() <= 253);
}

void check_question_round_trip(const Question& question) {
  if (question.name.empty()) {
    return;  // The root name cannot be queried.
  }
  const auto encoded = encode_query(1, question.name, RecordType::kA, 0);
  require(encoded.error.empty());
  const auto parsed = parse_message(std::span(encoded.bytes.data(), encoded.bytes.size()));
  require(parsed.message.has_value());
  require(parsed.message->questions.size() == 1);
  require(parsed.message->questions[0].name == question.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = parse_message(std::span(data, size));
  if (!parsed.message) {
    require(!parsed.error.empty());
    return 0;
  }
  const Message& message = *parsed.message;
  for (const auto& question : message.questions) {
    check_name(question.name);
    check_question_round_trip(question);
  }
  for (const auto* section : {&message.answers, &message.authorities, &message.additionals}) {
    for (const auto& record : *section) {
      check_name(record.name);
      check_name(record.canonical_name);
      if (record.srv) {
        check_name(record.srv->target);
      }
    }
  }
  if (!message.questions.empty()) {
    for (const auto& target : extract_srv_targets(message, message.questions[0].name)) {
      require(!target.host.empty() && target.port != 0);
      extract_addresses(message, target.host);
    }
  }
  return 0;
}

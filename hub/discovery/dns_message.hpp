#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace winebot::hub::dns {

// The subset of the DNS wire format (RFC 1035 section 4) that SRV discovery needs: encoding one
// query, and parsing a response's questions and A, AAAA, CNAME and SRV (RFC 2782) records. Other
// record types are skipped by their RDLENGTH. Every length and offset read from the wire is
// checked against the message bounds before it is used.

enum class RecordType : std::uint16_t {
  kA = 1,
  kCname = 5,
  kAaaa = 28,
  kSrv = 33,
  kOpt = 41,  // EDNS(0) pseudo-record, RFC 6891.
};

inline constexpr std::uint16_t kClassInternet = 1;
inline constexpr std::size_t kHeaderBytes = 12;
inline constexpr std::size_t kMaxLabelBytes = 63;
// Maximum encoded name length, counting the length octets and the final zero octet.
inline constexpr std::size_t kMaxNameBytes = 255;
// Largest message any transport can carry: TCP frames lengths in 16 bits.
inline constexpr std::size_t kMaxMessageBytes = 65535;

// Response codes that discovery distinguishes (RFC 1035 section 4.1.1).
inline constexpr int kRcodeNoError = 0;
inline constexpr int kRcodeServerFailure = 2;
inline constexpr int kRcodeNameError = 3;  // NXDOMAIN: the name does not exist.

struct SrvData {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // Lower case, without the final dot; empty for "." (no service).
};

struct Question {
  std::string name;  // Lower case, without the final dot.
  std::uint16_t type = 0;
  std::uint16_t record_class = 0;
};

struct ResourceRecord {
  std::string name;  // Lower case, without the final dot.
  std::uint16_t type = 0;
  std::uint16_t record_class = 0;
  std::uint32_t ttl = 0;
  std::optional<SrvData> srv;  // Set for SRV records.
  std::string address;         // Text form of an A or AAAA record's address.
  std::string canonical_name;  // Target of a CNAME record.
};

struct Message {
  std::uint16_t id = 0;
  bool response = false;
  bool truncated = false;  // TC: the answer did not fit; ask again over TCP.
  int rcode = 0;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  std::vector<ResourceRecord> additionals;
};

struct EncodeResult {
  std::vector<std::uint8_t> bytes;  // Empty on failure.
  std::string error;
};

struct ParseResult {
  std::optional<Message> message;
  std::string error;  // Reason the bytes are not a valid message, set when `message` is empty.
};

// Encodes a recursive query (RD set) for `name` and `type` in class IN. When
// `udp_payload_bytes` is non-zero, an EDNS(0) OPT record advertises that UDP payload size.
// Fails when the name is empty, has an empty label, a label over 63 bytes or a total over 255.
EncodeResult encode_query(std::uint16_t id, std::string_view name, RecordType type,
                          std::uint16_t udp_payload_bytes);

// Parses a whole message. It fails on any length or offset outside the message and on a
// compression pointer that does not point backwards. It also fails on a name over 255 bytes, a
// label with a dot or a byte outside printable ASCII, and trailing bytes after the last record. A
// message with the TC flag set that fails after its header is returned with the records parsed so
// far, because the caller only needs the flag to ask again over TCP.
ParseResult parse_message(std::span<const std::uint8_t> bytes);

// Normalizes a name as the parser stores it: lower case, without a final dot.
std::string normalize_name(std::string_view name);

}  // namespace winebot::hub::dns

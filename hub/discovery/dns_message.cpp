#include "hub/discovery/dns_message.hpp"

#include <array>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace winebot::hub::dns {
namespace {

constexpr std::uint16_t kFlagResponse = 0x8000;
constexpr std::uint16_t kFlagTruncated = 0x0200;
constexpr std::uint16_t kFlagRecursionDesired = 0x0100;
constexpr std::uint16_t kRcodeMask = 0x000f;
constexpr std::uint8_t kPointerTag = 0xc0;
// A name of at most 255 bytes has at most 127 labels, so a valid name never needs more jumps.
constexpr int kMaxPointerJumps = 127;

char to_lower_ascii(char character) {
  return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a')
                                              : character;
}

void append_u16(std::vector<std::uint8_t>& bytes, std::uint16_t value) {
  bytes.push_back(static_cast<std::uint8_t>(value >> 8));
  bytes.push_back(static_cast<std::uint8_t>(value & 0xff));
}

// Reads big-endian fields and names from a message, failing instead of reading past its end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }

  bool read_u16(std::uint16_t& value) {
    if (remaining() < 2) {
      return false;
    }
    value = static_cast<std::uint16_t>((bytes_[position_] << 8) | bytes_[position_ + 1]);
    position_ += 2;
    return true;
  }

  bool read_u32(std::uint32_t& value) {
    std::uint16_t high = 0;
    std::uint16_t low = 0;
    if (!read_u16(high) || !read_u16(low)) {
      return false;
    }
    value = (static_cast<std::uint32_t>(high) << 16) | low;
    return true;
  }

  bool skip(std::size_t count) {
    if (remaining() < count) {
      return false;
    }
    position_ += count;
    return true;
  }

  std::span<const std::uint8_t> bytes() const { return bytes_; }

  // Reads a possibly compressed name at the current position (RFC 1035 section 4.1.4) and
  // moves past its in-place part. Every pointer must point before the pointer itself, so the
  // walk always ends.
  bool read_name(std::string& name, std::string& error) {
    name.clear();
    std::size_t cursor = position_;
    std::size_t resume_at = 0;
    std::size_t encoded_length = 1;  // The final zero octet.
    int jumps = 0;
    while (true) {
      if (cursor >= bytes_.size()) {
        error = "name runs past the end of the message";
        return false;
      }
      const std::uint8_t length = bytes_[cursor];
      if ((length & kPointerTag) == kPointerTag) {
        if (cursor + 1 >= bytes_.size()) {
          error = "compression pointer runs past the end of the message";
          return false;
        }
        const std::size_t target = ((length & 0x3fu) << 8) | bytes_[cursor + 1];
        if (target >= cursor || ++jumps > kMaxPointerJumps) {
          error = "compression pointer does not point backwards";
          return false;
        }
        if (resume_at == 0) {
          resume_at = cursor + 2;
        }
        cursor = target;
        continue;
      }
      if ((length & kPointerTag) != 0) {
        error = "label type " + std::to_string(length >> 6) + " is not supported";
        return false;
      }
      if (length == 0) {
        position_ = resume_at != 0 ? resume_at : cursor + 1;
        return true;
      }
      encoded_length += 1 + length;
      if (encoded_length > kMaxNameBytes) {
        error = "name is longer than 255 bytes";
        return false;
      }
      if (cursor + 1 + length > bytes_.size()) {
        error = "label runs past the end of the message";
        return false;
      }
      if (!append_label(name, bytes_.subspan(cursor + 1, length), error)) {
        return false;
      }
      cursor += 1 + length;
    }
  }

 private:
  static bool append_label(std::string& name, std::span<const std::uint8_t> label,
                           std::string& error) {
    if (!name.empty()) {
      name.push_back('.');
    }
    for (const std::uint8_t byte : label) {
      if (byte <= 0x20 || byte >= 0x7f || byte == '.') {
        error = "label contains a byte that is not printable ASCII or is a dot";
        return false;
      }
      name.push_back(to_lower_ascii(static_cast<char>(byte)));
    }
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

bool parse_question(Reader& reader, Question& question, std::string& error) {
  if (!reader.read_name(question.name, error)) {
    return false;
  }
  if (!reader.read_u16(question.type) || !reader.read_u16(question.record_class)) {
    error = "question runs past the end of the message";
    return false;
  }
  return true;
}

bool parse_address(std::span<const std::uint8_t> data, std::uint16_t type, std::string& address,
                   std::string& error) {
  if (type == static_cast<std::uint16_t>(RecordType::kA)) {
    if (data.size() != 4) {
      error = "A record has " + std::to_string(data.size()) + " bytes of data instead of 4";
      return false;
    }
    boost::asio::ip::address_v4::bytes_type raw;
    std::copy(data.begin(), data.end(), raw.begin());
    address = boost::asio::ip::address_v4(raw).to_string();
    return true;
  }
  if (data.size() != 16) {
    error = "AAAA record has " + std::to_string(data.size()) + " bytes of data instead of 16";
    return false;
  }
  boost::asio::ip::address_v6::bytes_type raw;
  std::copy(data.begin(), data.end(), raw.begin());
  address = boost::asio::ip::address_v6(raw).to_string();
  return true;
}

// Parses the RDATA of the record types discovery uses; `end` is where the RDATA must end.
bool parse_record_data(Reader& reader, std::size_t end, ResourceRecord& record,
                       std::string& error) {
  const auto type = static_cast<RecordType>(record.type);
  if (type == RecordType::kA || type == RecordType::kAaaa) {
    const auto data = reader.bytes().subspan(reader.position(), end - reader.position());
    return parse_address(data, record.type, record.address, error) && reader.skip(data.size());
  }
  if (type == RecordType::kCname) {
    return reader.read_name(record.canonical_name, error);
  }
  if (type == RecordType::kSrv) {
    SrvData srv;
    if (!reader.read_u16(srv.priority) || !reader.read_u16(srv.weight) ||
        !reader.read_u16(srv.port)) {
      error = "SRV record is shorter than its fixed fields";
      return false;
    }
    // RFC 2782 forbids compressing the target, but accepting a pointer costs nothing.
    if (!reader.read_name(srv.target, error)) {
      return false;
    }
    record.srv = std::move(srv);
    return true;
  }
  return reader.skip(end - reader.position());
}

bool parse_record(Reader& reader, ResourceRecord& record, std::string& error) {
  if (!reader.read_name(record.name, error)) {
    return false;
  }
  std::uint16_t data_length = 0;
  if (!reader.read_u16(record.type) || !reader.read_u16(record.record_class) ||
      !reader.read_u32(record.ttl) || !reader.read_u16(data_length)) {
    error = "record header runs past the end of the message";
    return false;
  }
  if (data_length > reader.remaining()) {
    error = "record data length " + std::to_string(data_length) + " runs past the end of the " +
            "message";
    return false;
  }
  const std::size_t end = reader.position() + data_length;
  if (!parse_record_data(reader, end, record, error)) {
    return false;
  }
  if (reader.position() != end) {
    error = "record data length " + std::to_string(data_length) +
            " does not match the record's contents";
    return false;
  }
  return true;
}

bool parse_records(Reader& reader, std::uint16_t count, std::vector<ResourceRecord>& records,
                   std::string& error) {
  for (std::uint16_t index = 0; index < count; ++index) {
    ResourceRecord record;
    if (!parse_record(reader, record, error)) {
      return false;
    }
    records.push_back(std::move(record));
  }
  return true;
}

bool parse_sections(Reader& reader, const std::array<std::uint16_t, 4>& counts, Message& message,
                    std::string& error) {
  for (std::uint16_t index = 0; index < counts[0]; ++index) {
    Question question;
    if (!parse_question(reader, question, error)) {
      return false;
    }
    message.questions.push_back(std::move(question));
  }
  if (!parse_records(reader, counts[1], message.answers, error) ||
      !parse_records(reader, counts[2], message.authorities, error) ||
      !parse_records(reader, counts[3], message.additionals, error)) {
    return false;
  }
  if (reader.remaining() != 0) {
    error = std::to_string(reader.remaining()) + " bytes follow the last record";
    return false;
  }
  return true;
}

}  // namespace

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string normalized(name);
  for (auto& character : normalized) {
    character = to_lower_ascii(character);
  }
  return normalized;
}

EncodeResult encode_query(std::uint16_t id, std::string_view name, RecordType type,
                          std::uint16_t udp_payload_bytes) {
  EncodeResult result;
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  if (name.empty()) {
    result.error = "name is empty";
    return result;
  }

  std::vector<std::uint8_t> bytes;
  append_u16(bytes, id);
  append_u16(bytes, kFlagRecursionDesired);
  append_u16(bytes, 1);                          // QDCOUNT
  append_u16(bytes, 0);                          // ANCOUNT
  append_u16(bytes, 0);                          // NSCOUNT
  append_u16(bytes, udp_payload_bytes ? 1 : 0);  // ARCOUNT

  std::size_t label_start = 0;
  while (label_start <= name.size()) {
    auto label_end = name.find('.', label_start);
    if (label_end == std::string_view::npos) {
      label_end = name.size();
    }
    const auto label = name.substr(label_start, label_end - label_start);
    if (label.empty() || label.size() > kMaxLabelBytes) {
      result.error = "label '" + std::string(label) + "' must have 1 to 63 bytes";
      return result;
    }
    bytes.push_back(static_cast<std::uint8_t>(label.size()));
    bytes.insert(bytes.end(), label.begin(), label.end());
    label_start = label_end + 1;
  }
  bytes.push_back(0);
  if (bytes.size() - kHeaderBytes > kMaxNameBytes) {
    result.error = "name is longer than 255 bytes";
    return result;
  }
  append_u16(bytes, static_cast<std::uint16_t>(type));
  append_u16(bytes, kClassInternet);

  if (udp_payload_bytes != 0) {
    bytes.push_back(0);  // Root name.
    append_u16(bytes, static_cast<std::uint16_t>(RecordType::kOpt));
    append_u16(bytes, udp_payload_bytes);  // The OPT record's CLASS is the payload size.
    append_u16(bytes, 0);                  // Extended RCODE and version.
    append_u16(bytes, 0);                  // Flags.
    append_u16(bytes, 0);                  // RDLENGTH.
  }
  result.bytes = std::move(bytes);
  return result;
}

ParseResult parse_message(std::span<const std::uint8_t> bytes) {
  ParseResult result;
  if (bytes.size() > kMaxMessageBytes) {
    result.error = "message is longer than 65535 bytes";
    return result;
  }
  Reader reader(bytes);
  Message message;
  std::uint16_t flags = 0;
  std::array<std::uint16_t, 4> counts{};  // QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT.
  if (!reader.read_u16(message.id) || !reader.read_u16(flags) || !reader.read_u16(counts[0]) ||
      !reader.read_u16(counts[1]) || !reader.read_u16(counts[2]) || !reader.read_u16(counts[3])) {
    result.error = "message is shorter than the 12-byte header";
    return result;
  }
  message.response = (flags & kFlagResponse) != 0;
  message.truncated = (flags & kFlagTruncated) != 0;
  message.rcode = flags & kRcodeMask;

  if (!parse_sections(reader, counts, message, result.error)) {
    // Some servers cut a truncated answer in the middle of a record. The header is still valid,
    // and the caller only needs its TC flag to ask again over TCP.
    if (message.truncated) {
      result.error.clear();
      result.message = std::move(message);
    }
    return result;
  }
  result.message = std::move(message);
  return result;
}

}  // namespace winebot::hub::dns

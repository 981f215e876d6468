#pragma once

// Builds DNS messages byte by byte for the tests, independently of the encoder under test.

#include <cstdint>
#include <string>
#include <vector>

namespace winebot::hub::dns::testing {

class MessageBuilder {
 public:
  MessageBuilder(std::uint16_t id, std::uint16_t flags) {
    u16(id);
    u16(flags);
    for (int count = 0; count < 4; ++count) {
      u16(0);
    }
  }

  std::vector<std::uint8_t>& bytes() { return bytes_; }

  MessageBuilder& u8(std::uint8_t value) {
    bytes_.push_back(value);
    return *this;
  }

  MessageBuilder& u16(std::uint16_t value) {
    bytes_.push_back(static_cast<std::uint8_t>(value >> 8));
    bytes_.push_back(static_cast<std::uint8_t>(value & 0xff));
    return *this;
  }

  MessageBuilder& u32(std::uint32_t value) {
    u16(static_cast<std::uint16_t>(value >> 16));
    return u16(static_cast<std::uint16_t>(value & 0xffff));
  }

  // Writes `name` as labels ending in the zero octet, without compression.
  MessageBuilder& name(const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('.', start);
      if (end == std::string::npos) {
        end = text.size();
      }
      u8(static_cast<std::uint8_t>(end - start));
      bytes_.insert(bytes_.end(), text.begin() + static_cast<long>(start),
                    text.begin() + static_cast<long>(end));
      start = end + 1;
    }
    return u8(0);
  }

  MessageBuilder& pointer(std::uint16_t offset) { return u16(0xc000 | offset); }

  // Sets QDCOUNT, ANCOUNT, NSCOUNT and ARCOUNT.
  MessageBuilder& counts(std::uint16_t questions, std::uint16_t answers, std::uint16_t authorities,
                         std::uint16_t additionals) {
    set_u16(4, questions);
    set_u16(6, answers);
    set_u16(8, authorities);
    set_u16(10, additionals);
    return *this;
  }

  MessageBuilder& question(const std::string& owner, std::uint16_t type) {
    name(owner);
    u16(type);
    return u16(1);
  }

  // Record header for `owner` in class IN with TTL 30; the caller writes `data_length` bytes.
  MessageBuilder& record_header(const std::string& owner, std::uint16_t type,
                                std::uint16_t data_length) {
    name(owner);
    u16(type);
    u16(1);
    u32(30);
    return u16(data_length);
  }

  MessageBuilder& srv(const std::string& owner, std::uint16_t port, const std::string& target) {
    const auto target_length = static_cast<std::uint16_t>(target.empty() ? 1 : target.size() + 2);
    record_header(owner, 33, static_cast<std::uint16_t>(6 + target_length));
    u16(0);
    u16(5);
    u16(port);
    return name(target);
  }

  MessageBuilder& a(const std::string& owner, std::uint8_t a1, std::uint8_t a2, std::uint8_t a3,
                    std::uint8_t a4) {
    record_header(owner, 1, 4);
    return u8(a1).u8(a2).u8(a3).u8(a4);
  }

  MessageBuilder& aaaa_loopback(const std::string& owner) {
    record_header(owner, 28, 16);
    for (int index = 0; index < 15; ++index) {
      u8(0);
    }
    return u8(1);
  }

  MessageBuilder& cname(const std::string& owner, const std::string& target) {
    record_header(owner, 5, static_cast<std::uint16_t>(target.size() + 2));
    return name(target);
  }

 private:
  void set_u16(std::size_t offset, std::uint16_t value) {
    bytes_[offset] = static_cast<std::uint8_t>(value >> 8);
    bytes_[offset + 1] = static_cast<std::uint8_t>(value & 0xff);
  }

  std::vector<std::uint8_t> bytes_;
};

inline constexpr std::uint16_t kResponseFlags = 0x8180;  // QR, RD, RA, NOERROR.
inline constexpr const char* kServiceName = "_winebot._tcp.nodes.test";

// A response to an SRV query for kServiceName with two targets, one with an address in the
// additional section.
inline std::vector<std::uint8_t> two_target_response(std::uint16_t id) {
  MessageBuilder message(id, kResponseFlags);
  message.counts(1, 2, 0, 1)
      .question(kServiceName, 33)
      .srv(kServiceName, 9001, "node-0.nodes.test")
      .srv(kServiceName, 9002, "node-1.nodes.test")
      .a("node-0.nodes.test", 127, 0, 0, 1);
  return message.bytes();
}

}  // namespace winebot::hub::dns::testing

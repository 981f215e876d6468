#include "shared/config/host_port.hpp"

#include "shared/config/option_parser.hpp"

namespace winebot::shared {

std::string HostPort::to_string() const {
  const bool is_ipv6 = host.find(':') != std::string::npos;
  return (is_ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<HostPort> parse_host_port(const std::string& text) {
  std::string host;
  std::string port_text;

  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (host.empty()) {
      return std::nullopt;  // "[]:80" names no address.
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return std::nullopt;  // An unbracketed IPv6 literal is ambiguous.
    }
  }

  // Digits only: parse_integer alone would also accept a sign and surrounding blanks.
  const bool all_digits =
      !port_text.empty() && port_text.find_first_not_of("0123456789") == std::string::npos;
  const auto port = all_digits ? parse_integer(port_text) : std::nullopt;
  if (!port || *port > 65535) {
    return std::nullopt;
  }
  if (host.empty()) {
    host = "0.0.0.0";
  }
  return HostPort{host, static_cast<std::uint16_t>(*port)};
}

}  // namespace winebot::shared

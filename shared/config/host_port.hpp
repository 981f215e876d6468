#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace winebot::shared {

// A listening or connecting endpoint as written by people: `HOST:PORT`, `[V6]:PORT` or `:PORT`
// (all addresses). Port 0 asks the kernel for a free port.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;

  // `HOST:PORT`, with brackets around an IPv6 literal.
  std::string to_string() const;
};

// Parses `HOST:PORT`; returns nullopt when the port is missing, not a number or above 65535, or
// when an IPv6 literal lacks its brackets. An empty host becomes "0.0.0.0".
std::optional<HostPort> parse_host_port(const std::string& text);

}  // namespace winebot::shared

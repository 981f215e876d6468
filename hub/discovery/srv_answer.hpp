#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hub/discovery/dns_message.hpp"

namespace winebot::hub::dns {

// One host and port an SRV answer lists.
struct SrvTarget {
  std::string host;  // Lower case, without the final dot.
  std::uint16_t port = 0;
};

// Returns the targets of the SRV records that answer `name` (directly or through CNAME records in
// the same message), without duplicates, in answer order. Priority and weight are ignored,
// because the hub probes every node rather than picking one server. Records with the target "."
// (RFC 2782: no such service here) or port 0 are skipped.
std::vector<SrvTarget> extract_srv_targets(const Message& message, const std::string& name);

// Returns the A and AAAA addresses for `host` found in the answer and additional sections,
// following CNAME records in the message, without duplicates.
std::vector<std::string> extract_addresses(const Message& message, const std::string& host);

}  // namespace winebot::hub::dns

#include "hub/discovery/srv_answer.hpp"

#include <algorithm>

namespace winebot::hub::dns {
namespace {

// A CNAME chain longer than this is treated as a loop.
constexpr int kMaxCnameHops = 8;

template <typename Visit>
void for_each_record(const Message& message, Visit visit) {
  for (const auto& record : message.answers) {
    visit(record);
  }
  for (const auto& record : message.additionals) {
    visit(record);
  }
}

// Returns `name` and every name its CNAME records in the message lead to.
std::vector<std::string> alias_chain(const Message& message, const std::string& name) {
  std::vector<std::string> chain{normalize_name(name)};
  for (int hop = 0; hop < kMaxCnameHops; ++hop) {
    std::string next;
    for_each_record(message, [&](const ResourceRecord& record) {
      if (record.type == static_cast<std::uint16_t>(RecordType::kCname) &&
          record.name == chain.back()) {
        next = record.canonical_name;
      }
    });
    if (next.empty() || std::find(chain.begin(), chain.end(), next) != chain.end()) {
      break;
    }
    chain.push_back(next);
  }
  return chain;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::vector<SrvTarget> extract_srv_targets(const Message& message, const std::string& name) {
  const auto owners = alias_chain(message, name);
  std::vector<SrvTarget> targets;
  for (const auto& record : message.answers) {
    if (!record.srv || record.record_class != kClassInternet || !contains(owners, record.name)) {
      continue;
    }
    const SrvData& srv = *record.srv;
    if (srv.target.empty() || srv.port == 0) {
      continue;
    }
    const bool seen = std::any_of(targets.begin(), targets.end(), [&](const SrvTarget& target) {
      return target.host == srv.target && target.port == srv.port;
    });
    if (!seen) {
      targets.push_back({srv.target, srv.port});
    }
  }
  return targets;
}

std::vector<std::string> extract_addresses(const Message& message, const std::string& host) {
  const auto owners = alias_chain(message, host);
  std::vector<std::string> addresses;
  for_each_record(message, [&](const ResourceRecord& record) {
    if (record.address.empty() || record.record_class != kClassInternet ||
        !contains(owners, record.name) || contains(addresses, record.address)) {
      return;
    }
    addresses.push_back(record.address);
  });
  return addresses;
}

}  // namespace winebot::hub::dns

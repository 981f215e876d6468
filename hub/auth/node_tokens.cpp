#include "hub/auth/node_tokens.hpp"

#include "shared/config/option_parser.hpp"
#include "shared/crypto/digest.hpp"

namespace winebot::hub {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool is_visible_ascii(std::string_view text) {
  for (const char character : text) {
    if (character < 0x21 || character > 0x7e) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* to_string(TokenStatus status) {
  switch (status) {
    case TokenStatus::kValid:
      return "valid";
    case TokenStatus::kMismatch:
      return "mismatch";
    case TokenStatus::kUnknown:
      return "unknown";
    case TokenStatus::kNone:
      return "none";
  }
  return "none";
}

void NodeTokens::set(std::string node_id, std::string token) {
  by_node_[std::move(node_id)] = std::move(token);
}

std::optional<std::string> NodeTokens::token_for(const std::string& node_id) const {
  if (const auto it = by_node_.find(node_id); it != by_node_.end()) {
    return it->second;
  }
  if (!fleet_token_.empty()) {
    return fleet_token_;
  }
  return std::nullopt;
}

TokenStatus NodeTokens::status_for(const std::string& node_id, const shared::TxtRecord& txt) const {
  const auto token = token_for(node_id);
  if (!token) {
    return TokenStatus::kNone;
  }
  const auto advertised = shared::find_txt_value(txt, "token_sig");
  if (!advertised || advertised->empty()) {
    return TokenStatus::kUnknown;
  }
  // The signature is public, so a plain comparison leaks nothing.
  return shared::token_signature(*token) == *advertised ? TokenStatus::kValid
                                                        : TokenStatus::kMismatch;
}

std::string token_problem(std::string_view token) {
  if (token.empty()) {
    return "is empty";
  }
  if (token.size() > kMaxTokenBytes) {
    return "is longer than " + std::to_string(kMaxTokenBytes) + " bytes";
  }
  if (!is_visible_ascii(token)) {
    return "contains a blank, a control character or a non-ASCII byte";
  }
  return {};
}

std::pair<std::string, std::string> parse_node_token(std::string_view text,
                                                     const std::string& origin) {
  const auto equals = text.find('=');
  const auto node_id = trim(text.substr(0, equals));
  if (equals == std::string_view::npos || node_id.empty() || !is_visible_ascii(node_id)) {
    throw shared::ConfigError("Configuration validation failed: " + origin +
                              " must be NODE_ID=TOKEN with a node id free of blanks");
  }
  const auto token = trim(text.substr(equals + 1));
  if (const auto problem = token_problem(token); !problem.empty()) {
    // The message names the node id but never the token.
    throw shared::ConfigError("Configuration validation failed: the token of node " +
                              std::string(node_id) + " in " + origin + " " + problem);
  }
  return {std::string(node_id), std::string(token)};
}

void parse_node_tokens_file(std::string_view text, const std::string& origin, NodeTokens& tokens) {
  std::map<std::string, bool> seen;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    const auto line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto where = origin + " line " + std::to_string(line_number);
    auto [node_id, token] = parse_node_token(line, where);
    if (seen[node_id]) {
      throw shared::ConfigError("Configuration validation failed: " + where + " repeats node id " +
                                node_id);
    }
    seen[node_id] = true;
    tokens.set(std::move(node_id), std::move(token));
  }
}

}  // namespace winebot::hub

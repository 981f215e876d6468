#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "shared/mdns/txt_record.hpp"

namespace winebot::hub {

// Whether the hub has the API token a node expects, judged from the node's TXT `token_sig`:
//   valid:    the held token's signature equals the advertised one
//   mismatch: it differs, so requests with the held token will get 401
//   unknown:  the hub has a token, but the node advertises no token_sig (no API_TOKEN, an older
//             node, or a node found by DNS SRV or a static list, which carry no TXT)
//   none:     the hub has no token for the node
enum class TokenStatus { kValid, kMismatch, kUnknown, kNone };

const char* to_string(TokenStatus status);

// The API tokens the hub sends to nodes as `X-API-Key`: one per node id, and a fleet token for
// every node without its own. Filled at start-up from the configuration and read-only afterwards.
class NodeTokens {
 public:
  void set_fleet_token(std::string token) { fleet_token_ = std::move(token); }
  void set(std::string node_id, std::string token);

  // The node's own token, else the fleet token, else nullopt.
  std::optional<std::string> token_for(const std::string& node_id) const;
  TokenStatus status_for(const std::string& node_id, const shared::TxtRecord& txt) const;

  bool empty() const { return fleet_token_.empty() && by_node_.empty(); }
  std::size_t node_count() const { return by_node_.size(); }
  bool has_fleet_token() const { return !fleet_token_.empty(); }

 private:
  std::string fleet_token_;
  std::map<std::string, std::string> by_node_;
};

// Checks that `token` can travel in an HTTP header: 1 to kMaxTokenBytes visible ASCII characters
// (0x21 to 0x7e). Returns an empty string when it can, else what is wrong, without the token.
std::string token_problem(std::string_view token);
inline constexpr std::size_t kMaxTokenBytes = 4096;

// Parses one `NODE_ID=TOKEN` assignment, splitting at the first '='. Throws shared::ConfigError
// naming `origin` (a flag, or a file and line) when the id or token is empty or invalid.
std::pair<std::string, std::string> parse_node_token(std::string_view text,
                                                     const std::string& origin);

// Parses a tokens file: one `NODE_ID=TOKEN` per line; blank lines and lines starting with '#' are
// skipped, and surrounding blanks trimmed. Adds each to `tokens`. Throws shared::ConfigError
// naming `origin` and the line number on an invalid line or a repeated node id.
void parse_node_tokens_file(std::string_view text, const std::string& origin, NodeTokens& tokens);

}  // namespace winebot::hub

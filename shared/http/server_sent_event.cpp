#include "shared/http/server_sent_event.hpp"

#include <vector>

namespace winebot::shared {
namespace {

// Splits at CRLF, LF and CR, the three line endings the event-stream format accepts. A text
// ending in a line break yields a last empty line, so the break survives the round trip.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t index = 0; index < text.size(); ++index) {
    if (text[index] != '\r' && text[index] != '\n') {
      continue;
    }
    lines.push_back(text.substr(start, index - start));
    if (text[index] == '\r' && index + 1 < text.size() && text[index + 1] == '\n') {
      ++index;
    }
    start = index + 1;
  }
  lines.push_back(text.substr(start));
  return lines;
}

std::string without(std::string_view text, std::string_view removed) {
  std::string kept;
  kept.reserve(text.size());
  for (const char character : text) {
    if (removed.find(character) == std::string_view::npos) {
      kept += character;
    }
  }
  return kept;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out += '\n';
}

}  // namespace

std::string format_event(const ServerSentEvent& event) {
  using namespace std::string_view_literals;
  std::string out;
  out.reserve(event.data.size() + event.event.size() + event.id.size() + 32);
  if (!event.id.empty()) {
    append_field(out, "id", without(event.id, "\r\n\0"sv));
  }
  if (!event.event.empty()) {
    append_field(out, "event", without(event.event, "\r\n"));
  }
  for (const auto line : split_lines(event.data)) {
    append_field(out, "data", line);
  }
  out += '\n';
  return out;
}

std::string format_comment(std::string_view text) {
  std::string out;
  for (const auto line : split_lines(text)) {
    out += ": ";
    out.append(line);
    out += '\n';
  }
  out += '\n';
  return out;
}

}  // namespace winebot::shared

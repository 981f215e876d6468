#pragma once

#include <string>
#include <string_view>

namespace winebot::shared {

// One event of a `text/event-stream` body, as the WHATWG HTML standard ("Server-sent events")
// defines the format. An empty `id` or `event` leaves that field out, so the browser keeps its
// previous last event ID and dispatches the event as `message`.
struct ServerSentEvent {
  std::string id;
  std::string event;
  std::string data;
};

// Formats `event` as `id:`, `event:` and `data:` lines followed by a blank line. Data is split at
// every CRLF, LF or CR into one `data:` line each, so the browser rebuilds it joined by LF. CR and
// LF in `id` and `event`, and NUL in `id`, are removed, because they would end the field early or
// make the browser ignore the id.
std::string format_event(const ServerSentEvent& event);

// Formats `text` as comment lines (`: text`), one per line of `text`, followed by a blank line.
// Browsers ignore comments; they keep proxies and idle timers from closing the connection.
std::string format_comment(std::string_view text);

}  // namespace winebot::shared

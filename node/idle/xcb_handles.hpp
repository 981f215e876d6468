#pragma once

// Owners for the xcb handles that the idle pauser uses, and the one place where xcb connection
// error codes become text. No other idle file frees an xcb handle by hand.

#include <xcb/xcb.h>

#include <cstdlib>
#include <memory>

namespace winebot::node {

// xcb_connect never returns null: a failed connection is an object in an error state, and it
// must still be closed with xcb_disconnect.
struct XcbConnectionCloser {
  void operator()(xcb_connection_t* connection) const { xcb_disconnect(connection); }
};
using XcbConnectionHandle = std::unique_ptr<xcb_connection_t, XcbConnectionCloser>;

// xcb allocates replies, errors and events with malloc, and the caller frees them with free.
struct XcbFreer {
  void operator()(void* allocation) const { std::free(allocation); }
};
template <typename Reply>
using XcbReplyHandle = std::unique_ptr<Reply, XcbFreer>;

// Describes a code returned by xcb_connection_has_error (libxcb 1.15, xcb.h).
inline const char* xcb_connection_error_text(int code) {
  switch (code) {
    case XCB_CONN_ERROR:
      return "socket, pipe or stream error";
    case XCB_CONN_CLOSED_EXT_NOTSUPPORTED:
      return "extension not supported";
    case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
      return "out of memory";
    case XCB_CONN_CLOSED_REQ_LEN_EXCEED:
      return "request length exceeded";
    case XCB_CONN_CLOSED_PARSE_ERR:
      return "invalid display name";
    case XCB_CONN_CLOSED_INVALID_SCREEN:
      return "no such screen on the display";
    case XCB_CONN_CLOSED_FDPASSING_FAILED:
      return "file descriptor passing failed";
    default:
      return "unknown connection error";
  }
}

}  // namespace winebot::node

#pragma once

#include <memory>
#include <optional>
#include <string>

#include "node/recorder/recorder_settings.hpp"

struct xcb_connection_t;

namespace winebot::node {

// A second, idle X connection that reports the root window's size. x11grab keeps grabbing the
// size it opened with, so this is how the recorder notices a resolution change or a server that
// went away. Threading: one thread at a time (the capture thread).
class DisplayProbe {
 public:
  // Connects to `display`; check connected() afterwards.
  explicit DisplayProbe(const std::string& display);
  ~DisplayProbe();
  DisplayProbe(const DisplayProbe&) = delete;
  DisplayProbe& operator=(const DisplayProbe&) = delete;

  bool connected() const;
  // The root window's size, or nullopt when the connection has failed.
  std::optional<Resolution> root_size();

 private:
  struct ConnectionCloser {
    void operator()(xcb_connection_t* connection) const;
  };
  std::unique_ptr<xcb_connection_t, ConnectionCloser> connection_;
  unsigned root_ = 0;
};

}  // namespace winebot::node

#include "node/recorder/display_probe.hpp"

#include <xcb/xcb.h>

#include <cstdlib>

namespace winebot::node {

void DisplayProbe::ConnectionCloser::operator()(xcb_connection_t* connection) const {
  xcb_disconnect(connection);
}

DisplayProbe::DisplayProbe(const std::string& display) {
  int screen_number = 0;
  // xcb_connect never returns null: a failed connection is an object in an error state.
  connection_.reset(xcb_connect(display.c_str(), &screen_number));
  if (xcb_connection_has_error(connection_.get()) != 0) {
    return;
  }
  auto screens = xcb_setup_roots_iterator(xcb_get_setup(connection_.get()));
  for (int index = 0; screens.rem > 0; ++index, xcb_screen_next(&screens)) {
    if (index == screen_number) {
      root_ = screens.data->root;
      break;
    }
  }
}

DisplayProbe::~DisplayProbe() = default;

bool DisplayProbe::connected() const {
  return root_ != 0 && xcb_connection_has_error(connection_.get()) == 0;
}

std::optional<Resolution> DisplayProbe::root_size() {
  if (!connected()) {
    return std::nullopt;
  }
  const auto cookie = xcb_get_geometry(connection_.get(), root_);
  xcb_get_geometry_reply_t* reply = xcb_get_geometry_reply(connection_.get(), cookie, nullptr);
  if (reply == nullptr) {
    return std::nullopt;
  }
  const Resolution size{reply->width, reply->height};
  std::free(reply);
  return size;
}

}  // namespace winebot::node

#include "shared/http/event_stream.hpp"

namespace winebot::shared {

void EventStream::wake() {
  if (waker_) {
    waker_();
  }
}

void EventStream::finish() {
  finished_ = true;
  wake();
}

}  // namespace winebot::shared

#pragma once

#include <functional>
#include <string>

namespace winebot::shared {

// The body of a long-lived `text/event-stream` response. A route returns one inside
// `HttpResponse::event_stream`, and the server writes what `take_pending` returns for as long as
// the connection lasts. The server pulls only when its previous write finished, so a slow client
// leaves text in the source, where the source can bound it.
//
// Threading: every member runs on the server's executor, including the producer's calls to
// `wake` and `finish`.
class EventStream {
 public:
  virtual ~EventStream() = default;

  // Removes and returns the formatted text to write next (see server_sent_event.hpp), or an
  // empty string when nothing is pending.
  virtual std::string take_pending() = 0;
  // Called once when the response ends: the client disconnected, a write failed or timed out,
  // the server stopped, or the producer called `finish`.
  virtual void on_closed() {}

  // Tells the server that `take_pending` has text. Does nothing before the server attached.
  void wake();
  // Ends the response once the pending text is written.
  void finish();
  bool finished() const { return finished_; }

  // Used by the server: `waker` runs on every `wake` and `finish` until it is replaced.
  void set_waker(std::function<void()> waker) { waker_ = std::move(waker); }

 private:
  std::function<void()> waker_;
  bool finished_ = false;
};

}  // namespace winebot::shared

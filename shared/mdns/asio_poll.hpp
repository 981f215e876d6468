#pragma once

#include <cstddef>
#include <memory>

struct AvahiPoll;

namespace boost::asio {
class io_context;
}

namespace winebot::shared {

// Avahi's AvahiPoll interface implemented on an Asio io_context, so that Avahi's D-Bus traffic
// and timers run on the same single thread as the rest of the program and its callbacks need no
// locks. Watches wait with `posix::stream_descriptor` on a dup of Avahi's descriptor (libdbus
// may watch one socket twice, and epoll accepts each descriptor once); timeouts are
// `steady_timer`s.
//
// Threading: everything, including every Avahi object created with `get()`, belongs to the
// io_context's thread. This object must outlive those Avahi objects.
class AsioPoll {
 public:
  explicit AsioPoll(boost::asio::io_context& io);
  ~AsioPoll();
  AsioPoll(const AsioPoll&) = delete;
  AsioPoll& operator=(const AsioPoll&) = delete;

  // The table of callbacks to hand to avahi_client_new.
  const AvahiPoll* get() const;
  boost::asio::io_context& io_context() const;

  // Live watches and timeouts, for tests and leak checks.
  std::size_t watch_count() const;
  std::size_t timeout_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winebot::shared

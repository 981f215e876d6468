#include "shared/mdns/asio_poll.hpp"

#include <avahi-common/watch.h>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "shared/log/logger.hpp"

namespace asio = boost::asio;
using WaitType = asio::posix::stream_descriptor::wait_type;

struct AvahiWatch;
struct AvahiTimeout;
using WatchRegistry = std::map<AvahiWatch*, std::shared_ptr<AvahiWatch>>;
using TimeoutRegistry = std::map<AvahiTimeout*, std::shared_ptr<AvahiTimeout>>;

// Avahi declares these types opaque and lets each poll implementation define them. Each keeps a
// pointer to the registry that owns it, because Avahi's update and free callbacks receive only
// the watch or timeout.
struct AvahiWatch {
  AvahiWatch(asio::io_context& io, int fd) : descriptor(io, fd) {}

  asio::posix::stream_descriptor descriptor;
  WatchRegistry* registry = nullptr;
  int avahi_fd = -1;  // Avahi's own descriptor, passed back to its callback.
  AvahiWatchEvent requested{};
  AvahiWatchEvent fired{};
  AvahiWatchCallback callback = nullptr;
  void* userdata = nullptr;
  bool dead = false;
  bool read_pending = false;
  bool write_pending = false;
  bool error_pending = false;
};

struct AvahiTimeout {
  explicit AvahiTimeout(asio::io_context& io) : timer(io) {}

  asio::steady_timer timer;
  TimeoutRegistry* registry = nullptr;
  AvahiTimeoutCallback callback = nullptr;
  void* userdata = nullptr;
  bool dead = false;
  std::uint64_t generation = 0;  // Bumped on every update, so a stale expiry is ignored.
};

namespace winebot::shared {

class AsioPoll::Impl {
 public:
  explicit Impl(asio::io_context& io) : io_(io) {
    api_.userdata = this;
    api_.watch_new = &Impl::watch_new;
    api_.watch_update = &Impl::watch_update;
    api_.watch_get_events = &Impl::watch_get_events;
    api_.watch_free = &Impl::watch_free;
    api_.timeout_new = &Impl::timeout_new;
    api_.timeout_update = &Impl::timeout_update;
    api_.timeout_free = &Impl::timeout_free;
  }

  ~Impl() {
    for (auto& [raw, watch] : watches_) {
      watch->dead = true;
    }
    for (auto& [raw, timeout] : timeouts_) {
      timeout->dead = true;
    }
  }

  const AvahiPoll* api() const { return &api_; }
  asio::io_context& io() const { return io_; }
  std::size_t watch_count() const { return watches_.size(); }
  std::size_t timeout_count() const { return timeouts_.size(); }

 private:
  // The one place where Avahi's `void*` user data is turned back into our object.
  static Impl& self(const AvahiPoll* api) { return *static_cast<Impl*>(api->userdata); }

  static AvahiWatch* watch_new(const AvahiPoll* api, int fd, AvahiWatchEvent events,
                               AvahiWatchCallback callback, void* userdata) {
    auto& impl = self(api);
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      log_error("avahi.watch_failed", {field("fd", fd), field("error", "dup failed")});
      return nullptr;
    }
    auto watch = std::make_shared<AvahiWatch>(impl.io_, copy);
    watch->registry = &impl.watches_;
    watch->avahi_fd = fd;
    watch->requested = events;
    watch->callback = callback;
    watch->userdata = userdata;
    impl.watches_[watch.get()] = watch;
    arm(watch);
    return watch.get();
  }

  static void watch_update(AvahiWatch* raw, AvahiWatchEvent events) {
    raw->requested = events;
    if (auto it = raw->registry->find(raw); it != raw->registry->end()) {
      arm(it->second);
    }
  }

  static AvahiWatchEvent watch_get_events(AvahiWatch* raw) { return raw->fired; }

  static void watch_free(AvahiWatch* raw) {
    raw->dead = true;
    boost::system::error_code ignored;
    raw->descriptor.cancel(ignored);
    raw->registry->erase(raw);  // Pending waits keep the object alive until they complete.
  }

  // Starts a wait for each requested kind of readiness that has none pending. A wait whose kind
  // is no longer requested when it completes is dropped, so updates never need to cancel.
  static void arm(const std::shared_ptr<AvahiWatch>& watch) {
    if ((watch->requested & AVAHI_WATCH_IN) && !watch->read_pending) {
      start_wait(watch, WaitType::wait_read, AVAHI_WATCH_IN, watch->read_pending);
    }
    if ((watch->requested & AVAHI_WATCH_OUT) && !watch->write_pending) {
      start_wait(watch, WaitType::wait_write, AVAHI_WATCH_OUT, watch->write_pending);
    }
    const auto error_events = static_cast<AvahiWatchEvent>(AVAHI_WATCH_ERR | AVAHI_WATCH_HUP);
    if ((watch->requested & error_events) && !watch->error_pending) {
      start_wait(watch, WaitType::wait_error, AVAHI_WATCH_ERR, watch->error_pending);
    }
  }

  static void start_wait(const std::shared_ptr<AvahiWatch>& watch, WaitType type,
                         AvahiWatchEvent event, bool& pending) {
    pending = true;
    watch->descriptor.async_wait(type, [watch, event](const boost::system::error_code& error) {
      clear_pending(*watch, event);
      if (watch->dead || error || !(watch->requested & event)) {
        return;
      }
      watch->fired = event;
      watch->callback(watch.get(), watch->avahi_fd, event, watch->userdata);
      watch->fired = static_cast<AvahiWatchEvent>(0);
      if (!watch->dead) {
        arm(watch);  // Level-triggered, as Avahi expects: fires again while still ready.
      }
    });
  }

  static void clear_pending(AvahiWatch& watch, AvahiWatchEvent event) {
    if (event == AVAHI_WATCH_IN) {
      watch.read_pending = false;
    } else if (event == AVAHI_WATCH_OUT) {
      watch.write_pending = false;
    } else {
      watch.error_pending = false;
    }
  }

  static AvahiTimeout* timeout_new(const AvahiPoll* api, const struct timeval* when,
                                   AvahiTimeoutCallback callback, void* userdata) {
    auto& impl = self(api);
    auto timeout = std::make_shared<AvahiTimeout>(impl.io_);
    timeout->callback = callback;
    timeout->userdata = userdata;
    timeout->registry = &impl.timeouts_;
    impl.timeouts_[timeout.get()] = timeout;
    schedule(timeout, when);
    return timeout.get();
  }

  static void timeout_update(AvahiTimeout* raw, const struct timeval* when) {
    if (auto it = raw->registry->find(raw); it != raw->registry->end()) {
      schedule(it->second, when);
    }
  }

  static void timeout_free(AvahiTimeout* raw) {
    raw->dead = true;
    raw->timer.cancel();
    raw->registry->erase(raw);
  }

  // Avahi gives absolute wall-clock times (gettimeofday); a null time disables the timeout.
  static void schedule(const std::shared_ptr<AvahiTimeout>& timeout, const struct timeval* when) {
    const auto generation = ++timeout->generation;
    timeout->timer.cancel();
    if (when == nullptr) {
      return;
    }
    struct timeval now {};
    gettimeofday(&now, nullptr);
    const long long delay_us = (static_cast<long long>(when->tv_sec) - now.tv_sec) * 1'000'000 +
                               (static_cast<long long>(when->tv_usec) - now.tv_usec);
    timeout->timer.expires_after(std::chrono::microseconds(delay_us > 0 ? delay_us : 0));
    timeout->timer.async_wait([timeout, generation](const boost::system::error_code& error) {
      if (error || timeout->dead || timeout->generation != generation) {
        return;
      }
      timeout->callback(timeout.get(), timeout->userdata);
    });
  }

  asio::io_context& io_;
  AvahiPoll api_{};
  WatchRegistry watches_;
  TimeoutRegistry timeouts_;
};

AsioPoll::AsioPoll(asio::io_context& io) : impl_(std::make_unique<Impl>(io)) {}

AsioPoll::~AsioPoll() = default;

const AvahiPoll* AsioPoll::get() const {
  return impl_->api();
}

asio::io_context& AsioPoll::io_context() const {
  return impl_->io();
}

std::size_t AsioPoll::watch_count() const {
  return impl_->watch_count();
}

std::size_t AsioPoll::timeout_count() const {
  return impl_->timeout_count();
}

}  // namespace winebot::shared

#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>

namespace winebot::test {

// Maximum time a test waits for something that should happen soon. It is generous because it
// only delays a failing test: a passing test returns as soon as its condition holds.
inline constexpr std::chrono::milliseconds kPatience{5000};

// Runs `io` in slices of at most 5 ms until `done()` returns true or `limit` has passed, and
// returns whether `done()` became true. A slice that finds no work sleeps 1 ms, so an idle
// io_context does not spin.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    io.restart();
    if (io.run_for(std::chrono::milliseconds(5)) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return true;
}

// Runs `io` for `duration`, for checks that something does not happen within it.
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    io.restart();
    if (io.run_until(deadline) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

}  // namespace winebot::test

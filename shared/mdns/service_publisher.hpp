#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/mdns/txt_record.hpp"

namespace winebot::shared {

class AsioPoll;

// What one program advertises: one instance name under one or more service types, all on the
// same port with the same TXT record.
struct ServiceAdvertisement {
  std::string name;                // UTF-8; cut to 63 bytes without splitting a character.
  std::vector<std::string> types;  // For example {"_winebot._tcp"}.
  std::uint16_t port = 0;
  TxtRecord txt;
};

// Publishes a ServiceAdvertisement through the Avahi daemon and keeps it published:
// - a name collision moves to the next alternative name ("NAME #2", "NAME #3", ...);
// - while the daemon is away (not started yet, or restarting) the publisher waits, and registers
//   again when the daemon returns (the client is created with AVAHI_CLIENT_NO_FAIL);
// - `withdraw` removes the records, which makes the daemon send goodbye packets.
// Threading: belongs to the AsioPoll's io_context thread.
class ServicePublisher {
 public:
  ServicePublisher(AsioPoll& poll, ServiceAdvertisement advertisement);
  ~ServicePublisher();
  ServicePublisher(const ServicePublisher&) = delete;
  ServicePublisher& operator=(const ServicePublisher&) = delete;

  // Connects to the daemon and registers. Throws std::runtime_error when the TXT record cannot be
  // encoded or the client library cannot start at all (for example no D-Bus system bus).
  void start();
  // Replaces the TXT record of every published type; published again if not yet established.
  void update_txt(TxtRecord txt);
  // Removes the service from the network and disconnects from the daemon.
  void withdraw();

  // The name in use, after any collision renames.
  std::string current_name() const;
  bool established() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winebot::shared

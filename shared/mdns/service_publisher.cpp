#include "shared/mdns/service_publisher.hpp"

#include <avahi-common/error.h>

#include <stdexcept>

#include "shared/log/logger.hpp"
#include "shared/mdns/asio_poll.hpp"
#include "shared/mdns/avahi_handles.hpp"
#include "shared/mdns/service_name.hpp"

namespace winebot::shared {
namespace {

constexpr int kMaxCollisionAttempts = 50;

}  // namespace

class ServicePublisher::Impl {
 public:
  Impl(AsioPoll& poll, ServiceAdvertisement advertisement)
      : poll_(poll), advertisement_(std::move(advertisement)) {
    base_name_ = truncate_utf8(advertisement_.name, kMaxInstanceNameBytes);
    name_ = base_name_;
  }

  void start() {
    encode_or_throw(advertisement_.txt);
    withdrawn_ = false;
    connect();
    if (!client_) {
      throw std::runtime_error("failed to create the Avahi client: " + avahi_error_text(error_));
    }
  }

  void update_txt(TxtRecord txt) {
    encode_or_throw(txt);
    advertisement_.txt = std::move(txt);
    if (!group_ || avahi_entry_group_is_empty(group_.get())) {
      return;  // The next registration uses the new record.
    }
    auto list = make_avahi_string_list(encode_txt(advertisement_.txt).strings);
    for (const auto& type : advertisement_.types) {
      const int result = avahi_entry_group_update_service_txt_strlst(
          group_.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags(0), name_.c_str(),
          type.c_str(), nullptr, list.get());
      if (result < 0) {
        log_warn("mdns.txt_update_failed", {field("name", name_), field("type", type),
                                            field("error", avahi_error_text(result))});
      }
    }
  }

  void withdraw() {
    withdrawn_ = true;
    retry_.reset();
    if (group_) {
      log_info("mdns.withdrawn", {field("name", name_)});
    }
    group_.reset();  // Frees the records in the daemon, which announces their removal.
    client_.reset();
    established_ = false;
  }

  std::string current_name() const { return name_; }
  bool established() const { return established_; }

 private:
  static void encode_or_throw(const TxtRecord& txt) {
    const auto encoding = encode_txt(txt);
    if (!encoding.error.empty()) {
      throw std::runtime_error(encoding.error);
    }
  }

  void connect() {
    int error = 0;
    client_running_ = false;
    client_.reset(
        avahi_client_new(poll_.get(), AVAHI_CLIENT_NO_FAIL, &Impl::on_client_event, this, &error));
    error_ = error;
  }

  // Avahi calls this from inside avahi_client_new too, before `client_` is assigned, so the
  // client pointer comes from the argument, never from the member.
  static void on_client_event(AvahiClient* client, AvahiClientState state, void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        self.client_running_ = true;
        self.register_services(client);
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The daemon's host name changed; records come back once it is running again.
        if (self.group_) {
          avahi_entry_group_reset(self.group_.get());
        }
        self.established_ = false;
        break;
      case AVAHI_CLIENT_CONNECTING:
        log_warn("mdns.daemon_unavailable", {field("name", self.name_)});
        self.group_.reset();
        self.established_ = false;
        break;
      case AVAHI_CLIENT_FAILURE:
        log_error("mdns.client_failed",
                  {field("error", avahi_error_text(avahi_client_errno(client)))});
        self.group_.reset();
        self.established_ = false;
        self.schedule_retry(
            client_retry_delay_ms(avahi_client_errno(client), self.client_running_));
        break;
    }
  }

  static void on_group_event(AvahiEntryGroup* group, AvahiEntryGroupState state, void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        self.established_ = true;
        log_info("mdns.published",
                 {field("name", self.name_),
                  field("port", static_cast<long long>(self.advertisement_.port))});
        break;
      case AVAHI_ENTRY_GROUP_COLLISION:
        self.established_ = false;
        self.rename_after_collision();
        self.register_services(avahi_entry_group_get_client(group));
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        self.established_ = false;
        log_error(
            "mdns.publish_failed",
            {field("name", self.name_), field("error", avahi_error_text(avahi_client_errno(
                                                           avahi_entry_group_get_client(group))))});
        self.schedule_retry();
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }

  void rename_after_collision() {
    ++collisions_;
    const auto previous = name_;
    name_ = alternative_instance_name(base_name_, collisions_);
    log_warn("mdns.name_collision", {field("name", previous), field("renamed_to", name_)});
  }

  void register_services(AvahiClient* client) {
    if (withdrawn_) {
      return;
    }
    if (!group_) {
      group_.reset(avahi_entry_group_new(client, &Impl::on_group_event, this));
      if (!group_) {
        log_error("mdns.publish_failed",
                  {field("error", avahi_error_text(avahi_client_errno(client)))});
        schedule_retry();
        return;
      }
    }
    avahi_entry_group_reset(group_.get());

    auto list = make_avahi_string_list(encode_txt(advertisement_.txt).strings);
    for (int attempt = 0; attempt < kMaxCollisionAttempts; ++attempt) {
      const int result = add_all_types(list.get());
      if (result == AVAHI_ERR_COLLISION) {
        avahi_entry_group_reset(group_.get());
        rename_after_collision();
        continue;
      }
      if (result < 0) {
        log_error("mdns.publish_failed",
                  {field("name", name_), field("error", avahi_error_text(result))});
        schedule_retry();
        return;
      }
      const int committed = avahi_entry_group_commit(group_.get());
      if (committed < 0) {
        log_error("mdns.publish_failed",
                  {field("name", name_), field("error", avahi_error_text(committed))});
        schedule_retry();
      }
      return;
    }
    log_error("mdns.publish_failed", {field("name", name_), field("error", "too many collisions")});
  }

  int add_all_types(AvahiStringList* list) {
    for (const auto& type : advertisement_.types) {
      const int result = avahi_entry_group_add_service_strlst(
          group_.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags(0), name_.c_str(),
          type.c_str(), nullptr, nullptr, advertisement_.port, list);
      if (result < 0) {
        return result;
      }
    }
    return 0;
  }

  // Starts over with a new client after a delay; runs outside Avahi's callbacks, where freeing
  // the client is allowed.
  void schedule_retry(unsigned delay_ms = kAvahiRetryDelayMs) {
    if (withdrawn_ || retry_) {
      return;
    }
    retry_ = start_avahi_timeout(poll_.get(), delay_ms, &Impl::on_retry, this);
  }

  static void on_retry(AvahiTimeout* /*timeout*/, void* userdata) {
    auto& self = *static_cast<Impl*>(userdata);
    self.retry_.reset();
    self.group_.reset();
    self.client_.reset();
    log_info("mdns.reconnecting", {field("name", self.name_)});
    self.connect();
    if (!self.client_) {
      log_error("mdns.client_failed", {field("error", avahi_error_text(self.error_))});
      self.schedule_retry();
    }
  }

  AsioPoll& poll_;
  ServiceAdvertisement advertisement_;
  std::string base_name_;
  std::string name_;
  int collisions_ = 0;
  int error_ = 0;
  bool client_running_ = false;  // The current client reached AVAHI_CLIENT_S_RUNNING.
  bool established_ = false;
  bool withdrawn_ = false;
  // Declared after the state they use, and the group before the client it belongs to, so that
  // destruction frees the group first.
  AvahiClientPtr client_;
  AvahiEntryGroupPtr group_;
  AvahiTimeoutPtr retry_;
};

ServicePublisher::ServicePublisher(AsioPoll& poll, ServiceAdvertisement advertisement)
    : impl_(std::make_unique<Impl>(poll, std::move(advertisement))) {}

ServicePublisher::~ServicePublisher() = default;

void ServicePublisher::start() {
  impl_->start();
}

void ServicePublisher::update_txt(TxtRecord txt) {
  impl_->update_txt(std::move(txt));
}

void ServicePublisher::withdraw() {
  impl_->withdraw();
}

std::string ServicePublisher::current_name() const {
  return impl_->current_name();
}

bool ServicePublisher::established() const {
  return impl_->established();
}

}  // namespace winebot::shared

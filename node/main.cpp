// winebot-node: wires the options, the HTTP API and the mDNS advertisement together.

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "node/api/api_auth.hpp"
#include "node/api/node_routes.hpp"
#include "node/api/recording_routes.hpp"
#include "node/identity/node_identity.hpp"
#include "node/idle/idle_pauser.hpp"
#include "node/idle/idle_routes.hpp"
#include "node/idle/idle_settings.hpp"
#include "node/logs/event_log_routes.hpp"
#include "node/logs/stream_stats.hpp"
#include "node/node_options.hpp"
#include "node/recorder/recorder.hpp"
#include "node/screenshot/screenshot_routes.hpp"
#include "node/screenshot/screenshot_service.hpp"
#include "node/session/active_session.hpp"
#include "node/telemetry/telemetry_emitter.hpp"
#include "shared/http/http_server.hpp"
#include "shared/log/logger.hpp"
#include "shared/mdns/asio_poll.hpp"
#include "shared/mdns/service_publisher.hpp"
#include "winebot/version.hpp"

namespace {

using namespace winebot;

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("localhost");
}

shared::TxtRecord make_txt(const std::string& node_id, std::uint16_t api_port,
                           const node::ActiveSession& session, node::Recorder& recorder,
                           const std::vector<std::string>& labels) {
  shared::TxtRecord txt{{"txtvers", "1"},
                        {"node_id", node_id},
                        {"version", kVersion},
                        {"api_port", std::to_string(api_port)},
                        {"session_id", session.current_id().value_or("none")},
                        {"state", recorder.derived_status()}};
  if (!labels.empty()) {
    std::string joined;
    for (const auto& label : labels) {
      joined += joined.empty() ? label : "," + label;
    }
    txt.push_back({"labels", joined});
  }
  const auto signature = node::advertised_token_signature(node::environment_token(std::nullopt));
  if (!signature.empty()) {
    txt.push_back({"token_sig", signature});
  }
  return txt;
}

int run(const node::NodeOptions& options, const node::RecorderSettings& recorder_settings,
        const node::IdleSettings& idle_settings) {
  shared::Logger::configure(options.log_level, options.log_format);
  const std::string node_id = node::load_or_create_node_id(options.state_dir);

  boost::asio::io_context io;
  shared::Router router;
  node::NodeStatus status;
  std::unique_ptr<shared::ServicePublisher> publisher;
  status.node_id = node_id;
  status.hostname = host_name();
  status.started_at = std::chrono::system_clock::now();
  status.started_steady = std::chrono::steady_clock::now();
  status.advertised_name = [&] { return publisher ? publisher->current_name() : options.name; };
  status.advertised = [&] { return publisher && publisher->established(); };
  bool stopping = false;
  status.stopping = [&] { return stopping; };
  // The recorder writes the pointer file at the path in its settings, so read it from there too.
  node::ActiveSession session(options.session_dir, recorder_settings.pointer_file);
  status.state_extensions.push_back(
      [&options](nlohmann::json& state) { state["labels"] = options.labels; });
  status.state_extensions.push_back([&session](nlohmann::json& state) {
    const auto folder = session.current();
    state["session_id"] = folder ? nlohmann::json(*session.current_id()) : nlohmann::json(nullptr);
    state["session_dir"] = folder ? nlohmann::json(folder->string()) : nlohmann::json(nullptr);
  });
  node::Recorder recorder(io, recorder_settings, session, shared::process_environment());
  status.state_extensions.push_back(
      [&recorder](nlohmann::json& state) { state["recorder"] = recorder.state_json(); });
  node::add_event_log_routes(
      router, session, node::LogQuerySettings{options.max_events_query, options.session_root});
  node::TelemetryEmitter telemetry(
      options.telemetry, [] { return std::chrono::system_clock::now(); },
      [random = std::mt19937_64(std::random_device{}())]() mutable {
        return std::uniform_real_distribution<double>(0.0, 1.0)(random);
      });
  node::StreamStats lifecycle_stats;
  node::StreamStats input_stats;
  node::StreamStats perf_stats;
  status.state_extensions.push_back([&](nlohmann::json& state) {
    const auto folder = session.current();
    if (!folder) {
      state["streams"] = nlohmann::json::object();
      return;
    }
    const auto logs = *folder / "logs";
    state["streams"] = {{"lifecycle", lifecycle_stats.refresh(logs / "lifecycle.jsonl")},
                        {"input", input_stats.refresh(logs / "input_events.jsonl")},
                        {"perf", perf_stats.refresh(logs / "perf_metrics.jsonl")}};
  });
  // The idle pauser watches the display the recorder records by default; a start request that
  // names another display is not followed.
  node::IdlePauser pauser(io, idle_settings, recorder, telemetry,
                          {recorder_settings.default_display, options.state_dir / "control_mode"});
  status.state_extensions.push_back(
      [&pauser](nlohmann::json& state) { state["idle"] = pauser.state_json(); });
  node::add_node_routes(router, status);
  node::add_recording_routes(router, recorder, &telemetry);
  node::add_idle_routes(router, pauser);
  // Screenshots show the display being recorded, else the one a recording would start on.
  node::ScreenshotService screenshots(io.get_executor(), [&recorder, &recorder_settings] {
    return recorder.state_json().value("display", recorder_settings.default_display);
  });
  node::add_screenshot_route(router, screenshots);
  router.add("GET", "/metrics", [&recorder, &pauser, &screenshots](const shared::HttpRequest&) {
    shared::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = recorder.metrics_text() + pauser.metrics_text() + screenshots.metrics_text();
    return response;
  });
  router.add("GET", "/openapi.json", [](const shared::HttpRequest&) {
    auto document = node::recording_openapi_document();
    document["paths"].update(node::idle_openapi_paths());
    document["paths"].update(node::screenshot_openapi_paths());
    return shared::HttpResponse::json(200, document);
  });
  recorder.recover_interrupted_sessions();
  const char* startup_token = std::getenv("API_TOKEN");
  router.set_request_filter(node::make_api_key_filter(
      router, node::environment_token(startup_token == nullptr
                                          ? std::nullopt
                                          : std::optional<std::string>(startup_token))));

  shared::HttpServer server(io, router);
  status.api_port = server.listen(options.listen);
  shared::log_info("node.started", {shared::field("node", node_id),
                                    shared::field("listen", options.listen.host + ":" +
                                                                std::to_string(status.api_port)),
                                    shared::field("version", kVersion)});

  pauser.start();

  shared::AsioPoll poll(io);
  if (options.advertise) {
    const auto port = options.advertise_port.value_or(status.api_port);
    publisher = std::make_unique<shared::ServicePublisher>(
        poll,
        shared::ServiceAdvertisement{options.name,
                                     {"_winebot._tcp"},
                                     port,
                                     make_txt(node_id, port, session, recorder, options.labels)});
    publisher->start();
    recorder.add_change_listener([&, port] {
      publisher->update_txt(make_txt(node_id, port, session, recorder, options.labels));
    });
  }

  // A clean stop withdraws the service at once and keeps answering for the grace period, with
  // `stopping: true` in /state. Hubs probe on the goodbye (which reaches them about a second
  // later, RFC 6762 section 10.1) or on their own schedule, see the flag and mark the node gone.
  // A node that dies instead is withdrawn by the daemon, never says so, and is marked offline.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer grace_timer(io);
  auto finish = [&] {
    server.stop();
    io.stop();
  };
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& error, int signal_number) {
        if (error) {
          return;
        }
        if (stopping) {
          shared::log_info("node.stop_forced", {shared::field("signal", signal_number)});
          finish();
          return;
        }
        stopping = true;
        shared::log_info(
            "node.stopping",
            {shared::field("node", node_id), shared::field("signal", signal_number),
             shared::field("grace_ms", static_cast<long long>(options.stop_grace.count()))});
        // The recorder finalises its video first; the withdrawal and grace period follow.
        recorder.shutdown([&] {
          // After finalisation, because stopping joins the X sampler's thread, which a
          // wedged X server can hold.
          pauser.stop();
          if (publisher) {
            publisher->withdraw();
          }
          grace_timer.expires_after(options.stop_grace);
          grace_timer.async_wait([&](const boost::system::error_code&) { finish(); });
        });
        signals.async_wait(on_signal);  // A second signal ends the grace period early.
      };
  signals.async_wait(on_signal);

  io.run();
  shared::log_info("node.stopped", {shared::field("node", node_id)});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  node::NodeOptions options;
  node::RecorderSettings recorder_settings;
  node::IdleSettings idle_settings;
  try {
    options = node::parse_node_options(argc, argv, shared::process_environment());
    if (!options.help && !options.version) {
      recorder_settings = node::load_recorder_settings(shared::process_environment(), options);
      idle_settings = node::load_idle_settings(shared::process_environment());
    }
  } catch (const shared::ConfigError& error) {
    std::cerr << "winebot-node: " << error.what() << '\n';
    return 2;
  }
  if (options.help) {
    std::cout << node::make_node_option_parser().help_text();
    return 0;
  }
  if (options.version) {
    std::cout << "winebot-node " << kVersion << '\n';
    return 0;
  }

  try {
    return run(options, recorder_settings, idle_settings);
  } catch (const std::exception& error) {
    shared::log_error("node.failed", {shared::field("error", error.what())});
    return 1;
  }
}

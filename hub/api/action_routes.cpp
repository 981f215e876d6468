#include "hub/api/action_routes.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hub/api/admin_auth.hpp"
#include "hub/api/fleet_selector.hpp"
#include "hub/auth/node_tokens.hpp"
#include "hub/registry/node_registry.hpp"
#include "shared/http/http_client.hpp"
#include "shared/log/logger.hpp"

namespace winebot::hub {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

bool is_recording_action(const std::string& action) {
  return std::find(kRecordingActions.begin(), kRecordingActions.end(), action) !=
         kRecordingActions.end();
}

shared::HttpResponse unknown_action(const std::string& action) {
  return shared::HttpResponse::error(
      400, "unknown action '" + action + "': expected start, pause, resume or stop");
}

NodeActionResult failure(std::string node_id, int hub_status, std::string detail) {
  NodeActionResult result;
  result.node_id = std::move(node_id);
  result.hub_status = hub_status;
  result.detail = std::move(detail);
  return result;
}

// Checks a single-node action body: at most kMaxStartBodyBytes, and blank or, for start only, a
// JSON object. Returns the error response, or nullopt when the body may be forwarded.
std::optional<shared::HttpResponse> check_action_body(const std::string& action,
                                                      const std::string& body) {
  if (body.size() > kMaxStartBodyBytes) {
    return shared::HttpResponse::error(413, "request body of " + std::to_string(body.size()) +
                                                " bytes exceeds the maximum of " +
                                                std::to_string(kMaxStartBodyBytes) + " bytes");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return std::nullopt;
  }
  if (action != "start") {
    return shared::HttpResponse::error(400, action + " takes no request body; only start does");
  }
  if (!json::parse(body, nullptr, false).is_object()) {
    return shared::HttpResponse::error(400, "start body must be a JSON object");
  }
  return std::nullopt;
}

// One node's entry in a fleet action's result list.
json fleet_entry(const NodeActionResult& result) {
  const bool replied = result.hub_status == 200;
  const bool ok = replied && result.node_status >= 200 && result.node_status < 300;
  json status = nullptr;
  json detail = nullptr;
  if (replied) {
    if (const auto it = result.response.find("status"); it != result.response.end()) {
      status = *it;
    }
    if (!ok) {
      const auto node_detail = result.response.find("detail");
      detail = node_detail != result.response.end() && node_detail->is_string()
                   ? *node_detail
                   : json("node returned HTTP " + std::to_string(result.node_status));
    }
  } else {
    detail = result.detail;
  }
  return {{"node_id", result.node_id},
          {"ok", ok},
          {"status_code", replied ? json(result.node_status) : json(nullptr)},
          {"status", status},
          {"detail", detail}};
}

// State shared by the workers of one fleet action. Single-threaded: all on one executor.
struct FleetRun {
  explicit FleetRun(asio::any_io_executor executor) : finished(std::move(executor)) {}

  std::vector<std::string> node_ids;
  std::vector<NodeActionResult> results;
  std::size_t next = 0;         // Index of the next node a worker takes.
  std::size_t running = 0;      // Workers not finished yet.
  asio::steady_timer finished;  // Cancelled when the last worker finishes.
};

asio::awaitable<void> fleet_worker(std::shared_ptr<FleetRun> run, const NodeRegistry& registry,
                                   const NodeTokens& tokens, std::string action, std::string body,
                                   ActionSettings settings) {
  while (run->next < run->node_ids.size()) {
    const auto index = run->next++;
    run->results[index] = co_await forward_node_action(registry, tokens, run->node_ids[index],
                                                       action, body, settings);
  }
}

// Forwards `action` to every node of `run`, settings.fleet_concurrency at a time, and waits.
asio::awaitable<void> run_fleet(std::shared_ptr<FleetRun> run, const NodeRegistry& registry,
                                const NodeTokens& tokens, const std::string& action,
                                const std::string& body, ActionSettings settings) {
  const auto executor = co_await asio::this_coro::executor;
  run->results.resize(run->node_ids.size());
  const auto workers =
      std::min(std::max<std::size_t>(settings.fleet_concurrency, 1), run->node_ids.size());
  run->running = workers;
  for (std::size_t worker = 0; worker < workers; ++worker) {
    asio::co_spawn(executor, fleet_worker(run, registry, tokens, action, body, settings),
                   [run](std::exception_ptr failure) {
                     if (failure) {
                       shared::log_error("fleet.worker_failed", {});
                     }
                     if (--run->running == 0) {
                       run->finished.cancel();
                     }
                   });
  }
  // A worker whose nodes need no I/O may finish before this wait starts, hence the loop.
  while (run->running > 0) {
    run->finished.expires_at(asio::steady_timer::time_point::max());
    co_await run->finished.async_wait(kUseTuple);
  }
}

// The checks both action routes make first: the admin credentials, then the action's name.
std::optional<shared::HttpResponse> check_action_request(const shared::HttpRequest& request,
                                                         AdminAuth& auth) {
  if (auto rejected = auth.check(request)) {
    return rejected;
  }
  const auto& action = request.path_param("action");
  if (!is_recording_action(action)) {
    return unknown_action(action);
  }
  return std::nullopt;
}

asio::awaitable<shared::HttpResponse> node_action(const shared::HttpRequest& request,
                                                  const NodeRegistry& registry,
                                                  const NodeTokens& tokens, AdminAuth& auth,
                                                  ActionSettings settings) {
  if (auto rejected = check_action_request(request, auth)) {
    co_return std::move(*rejected);
  }
  const auto action = request.path_param("action");
  if (auto invalid = check_action_body(action, request.body)) {
    co_return std::move(*invalid);
  }

  const auto node_id = request.path_param("id");
  const auto result =
      co_await forward_node_action(registry, tokens, node_id, action, request.body, settings);
  if (result.hub_status != 200) {
    co_return shared::HttpResponse::error(result.hub_status, result.detail);
  }
  co_return shared::HttpResponse::json(200, json{{"node_id", node_id},
                                                 {"action", action},
                                                 {"status_code", result.node_status},
                                                 {"response", result.response}});
}

asio::awaitable<shared::HttpResponse> fleet_action(const shared::HttpRequest& request,
                                                   const NodeRegistry& registry,
                                                   const NodeTokens& tokens, AdminAuth& auth,
                                                   ActionSettings settings) {
  if (auto rejected = check_action_request(request, auth)) {
    co_return std::move(*rejected);
  }
  const auto action = request.path_param("action");
  if (request.body.size() > kMaxSelectorBodyBytes) {
    co_return shared::HttpResponse::error(
        413, "selector body exceeds " + std::to_string(kMaxSelectorBodyBytes) + " bytes");
  }
  std::string error;
  const auto selector = parse_fleet_selector(request.body, error);
  if (!selector) {
    co_return shared::HttpResponse::error(400, error);
  }
  if (!selector->start_request.is_null() && action != "start") {
    co_return shared::HttpResponse::error(400, "request is accepted only for start");
  }
  std::string body;
  if (!selector->start_request.is_null()) {
    body = selector->start_request.dump();
    if (body.size() > kMaxStartBodyBytes) {
      co_return shared::HttpResponse::error(413, "request exceeds the maximum start body of " +
                                                     std::to_string(kMaxStartBodyBytes) + " bytes");
    }
  }

  auto run = std::make_shared<FleetRun>(co_await asio::this_coro::executor);
  run->node_ids = select_fleet_nodes(*selector, registry);
  co_await run_fleet(run, registry, tokens, action, body, settings);

  json results = json::array();
  std::size_t succeeded = 0;
  for (const auto& result : run->results) {
    auto entry = fleet_entry(result);
    succeeded += entry["ok"].get<bool>() ? 1 : 0;
    results.push_back(std::move(entry));
  }
  const auto failed = run->results.size() - succeeded;
  shared::log_info("fleet.action", {shared::field("action", action),
                                    shared::field("nodes", static_cast<long long>(results.size())),
                                    shared::field("succeeded", static_cast<long long>(succeeded)),
                                    shared::field("failed", static_cast<long long>(failed))});
  co_return shared::HttpResponse::json(200, json{{"action", action},
                                                 {"results", std::move(results)},
                                                 {"succeeded", succeeded},
                                                 {"failed", failed}});
}

}  // namespace

asio::awaitable<NodeActionResult> forward_node_action(const NodeRegistry& registry,
                                                      const NodeTokens& tokens, std::string node_id,
                                                      std::string action, std::string body,
                                                      ActionSettings settings) {
  const NodeRecord* node = registry.find(node_id);
  if (node == nullptr) {
    co_return failure(node_id, 404, "node not found: " + node_id);
  }
  if (node->provisional) {
    co_return failure(node_id, 409,
                      "node " + node_id +
                          " is not identified yet, because no probe has returned its node_id (" +
                          node->state_reason +
                          "). A node that requires an API token is identified only with the "
                          "fleet token, WINEBOT_HUB_NODE_TOKEN.");
  }
  const auto endpoints = node->probe_order();
  if (endpoints.empty()) {
    co_return failure(node_id, 502, "node " + node_id + " has no known address");
  }
  // Copied before the first suspension: the registry may change or drop the node meanwhile.
  const auto address = endpoints.front().address;
  const auto port = endpoints.front().port;
  const auto where = address + ":" + std::to_string(port);
  std::vector<std::pair<std::string, std::string>> headers;
  if (const auto token = tokens.token_for(node_id)) {
    headers.emplace_back("X-API-Key", *token);
  }

  shared::HttpConnection connection(
      co_await asio::this_coro::executor,
      shared::HttpClientLimits{settings.node_timeout, kMaxNodeReplyBytes});
  const auto target = "/recording/" + action;
  const auto reply =
      co_await connection.request(address, port, "POST", target, std::move(body), headers);
  NodeActionResult result;
  if (!reply.ok && reply.timed_out) {
    result = failure(node_id, 504,
                     "node " + node_id + " did not reply to POST " + target + " at " + where +
                         " within " + std::to_string(settings.node_timeout.count()) + " ms");
  } else if (!reply.ok) {
    result = failure(node_id, 502,
                     "node " + node_id + " cannot be reached at " + where + ": " + reply.error);
  } else if (auto parsed = json::parse(reply.body, nullptr, false); !parsed.is_object()) {
    result = failure(node_id, 502,
                     "node " + node_id + " replied to POST " + target + " with HTTP " +
                         std::to_string(reply.status) + " and a body that is not a JSON object");
  } else {
    result.node_id = node_id;
    result.node_status = reply.status;
    result.response = std::move(parsed);
  }

  shared::log_info("node.action", {shared::field("node", node_id), shared::field("action", action),
                                   shared::field("address", where),
                                   shared::field("node_status", result.node_status),
                                   shared::field("hub_status", result.hub_status),
                                   shared::field("elapsed_ms", reply.elapsed_ms)});
  co_return result;
}

void add_action_routes(shared::Router& router, const NodeRegistry& registry,
                       const NodeTokens& tokens, AdminAuth& auth, ActionSettings settings) {
  router.add_async("POST", "/api/nodes/{id}/recording/{action}",
                   [&registry, &tokens, &auth, settings](const shared::HttpRequest& request) {
                     return node_action(request, registry, tokens, auth, settings);
                   });
  router.add_async("POST", "/api/fleet/recording/{action}",
                   [&registry, &tokens, &auth, settings](const shared::HttpRequest& request) {
                     return fleet_action(request, registry, tokens, auth, settings);
                   });
}

}  // namespace winebot::hub

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/sim/simulated_event_log.hpp"

namespace winebot::sim {

// Rates and bounds shared by every simulated node. Each rate is the mean of a Poisson process
// per node; 0 turns that stream off.
struct SimulationSettings {
  double lifecycle_per_minute = 2.0;   // Recorder state changes, one lifecycle record each.
  double telemetry_per_minute = 30.0;  // performance_metric records.
  double input_per_minute = 0.0;       // Input event records.
  std::size_t log_capacity = 10'000;   // Records kept per stream; the oldest are dropped.
};

// Recorder state as the node reports it in /state's recorder.state.
enum class SimulatedRecorderState { kRecording, kPaused, kIdle };

const char* to_string(SimulatedRecorderState state);

// One simulated WineBot node: its identity, a recorder that changes state now and then with the
// lifecycle records and idle-pauser counters that go with it, and three event streams.
// The node is driven by an explicit clock: `advance` plays every event due up to the given time,
// and the JSON and text views describe the node at that time.
//
// Threading: not thread-safe; the simulator touches every node from its io_context thread.
class SimulatedNode {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  struct Identity {
    std::size_t index = 0;
    std::string node_id;  // A UUID, stable for a given seed and index.
    std::string name;
    std::string hostname;
    std::string run_id;  // The simulator run's id, part of every cursor.
  };

  SimulatedNode(Identity identity, const SimulationSettings& settings, std::uint64_t seed,
                TimePoint start);

  // Plays every recorder change and record due at or before `now`, in time order.
  void advance(TimePoint now);

  void set_api_port(std::uint16_t port) { api_port_ = port; }
  std::uint16_t api_port() const { return api_port_; }
  const Identity& identity() const { return identity_; }
  SimulatedRecorderState recorder_state() const { return recorder_; }
  const std::string& session_id() const { return session_id_; }

  // The bodies of GET /state, /version and /health at `now`.
  nlohmann::json state_json(TimePoint now) const;
  nlohmann::json version_json() const;
  nlohmann::json health_json(TimePoint now) const;
  // GET /metrics in the Prometheus text format at `now`.
  std::string metrics_text(TimePoint now) const;

  const SimulatedEventLog& lifecycle() const { return lifecycle_; }
  const SimulatedEventLog& telemetry() const { return telemetry_; }
  const SimulatedEventLog& input() const { return input_; }

 private:
  // Next time of a Poisson process of `per_minute` events after `after`; nullopt when off.
  std::optional<TimePoint> next_arrival(TimePoint after, double per_minute);
  void change_recorder(TimePoint at);
  void append_lifecycle(TimePoint at, const std::string& kind, const std::string& message,
                        const std::string& source, nlohmann::json extra);
  void append_telemetry(TimePoint at);
  void append_input(TimePoint at);
  void start_session(TimePoint at);
  double paused_by_inactivity_seconds(TimePoint now) const;
  double idle_seconds(TimePoint now) const;

  Identity identity_;
  SimulationSettings settings_;
  std::mt19937_64 random_;
  TimePoint started_at_;
  std::uint16_t api_port_ = 0;
  // Latency factor of this node's telemetry values, so that nodes differ when compared.
  double slowness_ = 1.0;

  SimulatedRecorderState recorder_ = SimulatedRecorderState::kRecording;
  std::string session_id_;
  bool paused_by_inactivity_ = false;
  std::string controller_ = "agent";
  TimePoint last_activity_;
  TimePoint inactivity_pause_since_;
  std::chrono::milliseconds paused_by_inactivity_total_{0};
  std::uint64_t auto_pauses_ = 0;
  std::uint64_t auto_resumes_ = 0;
  std::uint64_t segments_ = 0;
  double recorded_seconds_ = 0;  // Of finished recording spans; the current one is added live.
  TimePoint recording_since_;

  std::optional<TimePoint> next_change_;
  std::optional<TimePoint> next_telemetry_;
  std::optional<TimePoint> next_input_;

  SimulatedEventLog lifecycle_;
  SimulatedEventLog telemetry_;
  SimulatedEventLog input_;
};

}  // namespace winebot::sim

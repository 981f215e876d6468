#include "node/telemetry/telemetry_emitter.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/unit/support/temp_folder.hpp"

namespace winebot::node {
namespace {

using namespace std::chrono_literals;

// An emitter with a hand-moved clock and a fixed random draw, writing under a temporary session.
struct EmitterFixture {
  explicit EmitterFixture(TelemetrySettings settings = {})
      : session(folder.path() / "session-2026-12-04-1-abcdef"),
        emitter(
            settings, [this] { return now; }, [this] { return draw; }) {}

  std::vector<nlohmann::json> records() const {
    std::vector<nlohmann::json> lines;
    std::ifstream input(session / "logs" / "perf_metrics.jsonl");
    std::string line;
    while (std::getline(input, line)) {
      lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
  }

  bool log_exists() const {
    return std::filesystem::exists(session / "logs" / "perf_metrics.jsonl");
  }

  static OperationTiming timing(const std::string& feature, const std::string& metric = {}) {
    OperationTiming timing;
    timing.feature = feature;
    timing.capability = "capture";
    timing.feature_set = "recording_and_artifacts";
    timing.operation = "start";
    timing.duration_ms = 12.34567;
    timing.metric = metric;
    return timing;
  }

  test::TempFolder folder;
  std::filesystem::path session;
  std::chrono::system_clock::time_point now{std::chrono::milliseconds(1'796'400'000'123)};
  double draw = 0.0;
  TelemetryEmitter emitter;
};

TelemetrySettings with_features(std::set<std::string> features) {
  TelemetrySettings settings;
  settings.features = std::move(features);
  return settings;
}

TEST_CASE("TelemetryEmitter writes every field of a record", "[telemetry]") {
  TelemetrySettings settings;
  settings.git_sha = "abc123";
  settings.build_intent = "ci";
  settings.runtime_mode = "headless";
  EmitterFixture fixture(settings);
  auto timing = EmitterFixture::timing("recording");
  timing.tags = {{"command_name", "xdotool"}};

  REQUIRE(fixture.emitter.emit(fixture.session, timing) == EmitOutcome::kWritten);

  const auto records = fixture.records();
  REQUIRE(records.size() == 1);
  const auto& record = records.front();
  CHECK(record["schema_version"] == "1.0");
  CHECK(record["timestamp_utc"] == "2026-12-04T16:00:00.123000+00:00");
  CHECK(record["timestamp_epoch_ms"] == 1'796'400'000'123);
  CHECK(record["event"] == "performance_metric");
  CHECK(record["metric"] == "recording.capture.start.latency");
  CHECK(record["value_ms"] == 12.346);
  CHECK(record["duration_ms"] == 12.346);
  CHECK(record["feature"] == "recording");
  CHECK(record["capability"] == "capture");
  CHECK(record["feature_set"] == "recording_and_artifacts");
  CHECK(record["operation"] == "start");
  CHECK(record["result"] == "ok");
  CHECK(record["source"] == "api");
  CHECK(record["session_id"] == "session-2026-12-04-1-abcdef");
  CHECK(record["telemetry_level"] == "standard");
  CHECK(record["git_sha"] == "abc123");
  CHECK(record["build_intent"] == "ci");
  CHECK(record["runtime_mode"] == "headless");
  CHECK(record["tags"]["command_name"] == "xdotool");
}

TEST_CASE("TelemetryEmitter omits empty tags", "[telemetry]") {
  EmitterFixture fixture;
  fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording"));
  CHECK_FALSE(fixture.records().front().contains("tags"));
}

TEST_CASE("TelemetryEmitter feature allowlist blocks other features", "[telemetry]") {
  EmitterFixture fixture(with_features({"recording"}));
  CHECK(fixture.emitter.emit(fixture.session, EmitterFixture::timing("input")) ==
        EmitOutcome::kFiltered);
  CHECK_FALSE(fixture.log_exists());
}

TEST_CASE("TelemetryEmitter feature allowlist admits listed features", "[telemetry]") {
  EmitterFixture fixture(with_features({"recording", "input"}));
  REQUIRE(fixture.emitter.emit(fixture.session,
                               EmitterFixture::timing("input", "input.custom.metric")) ==
          EmitOutcome::kWritten);
  const auto record = fixture.records().front();
  CHECK(record["feature"] == "input");
  CHECK(record["capability"] == "capture");
  CHECK(record["metric"] == "input.custom.metric");
}

TEST_CASE("TelemetryEmitter sample rate 0 drops a draw of 0.5", "[telemetry]") {
  TelemetrySettings settings;
  settings.sample_rate = 0.0;
  EmitterFixture fixture(settings);
  fixture.draw = 0.5;
  CHECK(fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording")) ==
        EmitOutcome::kSampledOut);
  CHECK_FALSE(fixture.log_exists());
}

TEST_CASE("TelemetryEmitter cap of 1 per minute keeps one", "[telemetry]") {
  TelemetrySettings settings;
  settings.max_events_per_minute = 1;
  EmitterFixture fixture(settings);

  CHECK(fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording")) ==
        EmitOutcome::kWritten);
  CHECK(fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording")) ==
        EmitOutcome::kRateLimited);
  CHECK(fixture.records().size() == 1);

  fixture.now += 61s;
  CHECK(fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording")) ==
        EmitOutcome::kWritten);
}

TEST_CASE("TelemetryEmitter filtered records spend no rate budget", "[telemetry]") {
  TelemetrySettings settings = with_features({"recording"});
  settings.max_events_per_minute = 1;
  EmitterFixture fixture(settings);

  fixture.emitter.emit(fixture.session, EmitterFixture::timing("input"));
  CHECK(fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording")) ==
        EmitOutcome::kWritten);
}

TEST_CASE("TelemetryEmitter needs a session folder", "[telemetry]") {
  EmitterFixture fixture;
  CHECK(fixture.emitter.emit(std::nullopt, EmitterFixture::timing("recording")) ==
        EmitOutcome::kNoSession);
  CHECK(fixture.emitter.counts().at(EmitOutcome::kNoSession) == 1);
}

TEST_CASE("TelemetryEmitter stops at the log size cap", "[telemetry]") {
  TelemetrySettings settings;
  settings.max_log_bytes = 600;
  EmitterFixture fixture(settings);

  std::map<EmitOutcome, int> outcomes;
  for (int index = 0; index < 5; ++index) {
    ++outcomes[fixture.emitter.emit(fixture.session, EmitterFixture::timing("recording"))];
  }
  CHECK(outcomes[EmitOutcome::kWritten] >= 1);
  CHECK(outcomes[EmitOutcome::kFileFull] >= 1);
  CHECK(std::filesystem::file_size(fixture.session / "logs" / "perf_metrics.jsonl") <= 600);
}

TEST_CASE("TelemetryEmitter legacy writer keeps nested extra", "[telemetry]") {
  TelemetrySettings settings;
  settings.enabled = false;  // The legacy writer bypasses every switch and filter.
  EmitterFixture fixture(settings);

  REQUIRE(fixture.emitter.append_legacy(fixture.session, "recorder.start", 5.0, "recorder",
                                        {{"segment", 3}}) == EmitOutcome::kWritten);
  const auto records = fixture.records();
  REQUIRE(records.size() == 1);
  CHECK(records.front()["event"] == "performance_metric");
  CHECK(records.front()["metric"] == "recorder.start");
  CHECK(records.front()["source"] == "recorder");
  CHECK(records.front()["extra"]["segment"] == 3);
}

TEST_CASE("format_utc_iso omits zero microseconds", "[telemetry]") {
  const std::chrono::system_clock::time_point whole{std::chrono::seconds(1'796'400'000)};
  CHECK(format_utc_iso(whole) == "2026-12-04T16:00:00+00:00");
  CHECK(format_utc_iso(whole + 7us) == "2026-12-04T16:00:00.000007+00:00");
}

shared::EnvLookup environment(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST_CASE("read_telemetry_settings reads the variables", "[telemetry]") {
  const auto settings =
      read_telemetry_settings(environment({{"WINEBOT_TELEMETRY", "off"},
                                           {"WINEBOT_TELEMETRY_FEATURES", " recording, ,input "},
                                           {"WINEBOT_TELEMETRY_SAMPLE_RATE", "2.5"},
                                           {"WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN", "0"},
                                           {"WINEBOT_MAX_LOG_SIZE_MB", "3"}}));
  CHECK_FALSE(settings.enabled);
  CHECK(settings.features == std::set<std::string>{"recording", "input"});
  CHECK(settings.sample_rate == 1.0);
  CHECK(settings.max_events_per_minute == 1);
  CHECK(settings.max_log_bytes == 3u * 1024 * 1024);
}

TEST_CASE("read_telemetry_settings prefers WINEBOT_TELEMETRY", "[telemetry]") {
  CHECK(read_telemetry_settings(
            environment({{"WINEBOT_TELEMETRY", "yes"}, {"WINEBOT_PERF_METRICS", "0"}}))
            .enabled);
  CHECK_FALSE(read_telemetry_settings(environment({{"WINEBOT_PERF_METRICS", "0"}})).enabled);
}

TEST_CASE("read_telemetry_settings names an invalid variable", "[telemetry]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"WINEBOT_TELEMETRY", "maybe"},
      {"WINEBOT_TELEMETRY_SAMPLE_RATE", "half"},
      {"WINEBOT_TELEMETRY_MAX_EVENTS_PER_MIN", "5.0"},
      {"WINEBOT_MAX_LOG_SIZE_MB", "0"},
  };
  for (const auto& [name, value] : cases) {
    INFO(name << "=" << value);
    try {
      read_telemetry_settings(environment({{name, value}}));
      FAIL("expected a ConfigError");
    } catch (const shared::ConfigError& error) {
      CHECK_THAT(error.what(), Catch::Contains(name + " must be"));
    }
  }
}

}  // namespace
}  // namespace winebot::node

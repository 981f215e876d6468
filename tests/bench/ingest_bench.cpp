// Ingest benchmark: event rows per second through NodeStore, which includes the hub's writer
// thread, cursor updates, commit bookkeeping and telemetry rollups. The baseline inserts the same
// rows into the same schema with one prepared statement and transactions of the same size.
//
// Usage: winebot_ingest_bench [ROWS] [FOLDER]   (default 2000000 rows, the system temp folder)

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "hub/store/node_store.hpp"
#include "shared/log/logger.hpp"
#include "shared/sqlite/database.hpp"

namespace {

using namespace winebot;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatchRows = 500;  // The poller's default events per request.
constexpr int kNodes = 100;
// One record in this many is a telemetry value that also updates the rollups.
constexpr std::size_t kTelemetryEvery = 10;

struct Workload {
  std::vector<hub::IngestBatch> batches;
  std::size_t rows = 0;
};

Workload make_workload(std::size_t rows) {
  Workload workload;
  const std::int64_t start_ms = 1'796'400'000'000;
  std::vector<std::size_t> next_position(kNodes * 2, 0);
  for (std::size_t row = 0; row < rows; row += kBatchRows) {
    const auto batch_index = row / kBatchRows;
    const int node = static_cast<int>(batch_index % kNodes);
    const bool telemetry = batch_index % kTelemetryEvery == 0;
    hub::IngestBatch batch;
    batch.node_id = "00000000-0000-4000-8000-" + std::to_string(100000000000LL + node);
    batch.stream = telemetry ? "telemetry" : "lifecycle";
    auto& position = next_position[static_cast<std::size_t>(node * 2 + (telemetry ? 1 : 0))];
    for (std::size_t index = 0; index < kBatchRows && row + index < rows; ++index) {
      const auto at_ms = start_ms + static_cast<std::int64_t>(row + index);
      batch.positions.push_back("2049.131073." + std::to_string(position * 160));
      ++position;
      batch.event_ms.push_back(at_ms);
      if (telemetry) {
        batch.bodies.push_back(
            R"({"schema_version":"1","event":"performance_metric","metric":"recording.api_start.latency","value_ms":)" +
            std::to_string(5 + (row + index) % 40) + R"(,"timestamp_epoch_ms":)" +
            std::to_string(at_ms) + "}");
      } else {
        batch.bodies.push_back(
            R"({"schema_version":"1","kind":"recording_segment_started","timestamp_epoch_ms":)" +
            std::to_string(at_ms) + R"(,"session_id":"session-2026-12-04"})");
      }
    }
    batch.next_cursor = batch.positions.back();
    workload.rows += batch.positions.size();
    workload.batches.push_back(std::move(batch));
  }
  return workload;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double run_store(const std::filesystem::path& path, Workload workload) {
  hub::NodeStore store(path);
  store.start();
  const auto start = Clock::now();
  for (auto& batch : workload.batches) {
    // A full queue makes the poller wait for its next interval, but here the producer only yields.
    while (!store.ingest(batch)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  store.flush();
  const auto elapsed = seconds_since(start);
  if (store.ingested_events() != workload.rows) {
    std::fprintf(stderr, "store ingested %llu of %zu rows\n",
                 static_cast<unsigned long long>(store.ingested_events()), workload.rows);
  }
  return elapsed;
}

double run_baseline(const std::filesystem::path& path, const Workload& workload) {
  { hub::NodeStore create_schema(path); }
  shared::Database database(path);
  database.execute("PRAGMA journal_mode=WAL");
  database.execute("PRAGMA synchronous=NORMAL");
  auto insert = database.prepare(
      "INSERT INTO event_rows (source, position, event_ms, ingested_ms, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  auto add_source = database.prepare("INSERT INTO event_sources (node_id, stream) VALUES (?1, ?2)");
  std::map<std::pair<std::string, std::string>, std::int64_t> sources;
  const auto start = Clock::now();
  // The same number of rows per transaction as the store's writer commits when it keeps up.
  for (const auto& batch : workload.batches) {
    shared::in_transaction(database, [&] {
      auto [entry, added] = sources.try_emplace({batch.node_id, batch.stream}, 0);
      if (added) {
        add_source.bind(1, batch.node_id).bind(2, batch.stream);
        add_source.run();
        entry->second = sqlite3_last_insert_rowid(database.handle());
      }
      for (std::size_t index = 0; index < batch.positions.size(); ++index) {
        insert.bind(1, entry->second)
            .bind(2, batch.positions[index])
            .bind(3, batch.event_ms[index])
            .bind(4, batch.event_ms[index])
            .bind(5, batch.bodies[index]);
        insert.run();
      }
    });
  }
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::stoul(argv[1]) : 2'000'000;
  const std::filesystem::path folder =
      argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path();
  shared::Logger::configure(shared::LogLevel::kWarn, shared::LogFormat::kText);
  const auto store_path = folder / "winebot-ingest-bench-store.db";
  const auto baseline_path = folder / "winebot-ingest-bench-baseline.db";
  for (const auto& path : {store_path, baseline_path}) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  }

  const auto workload = make_workload(rows);
  std::printf("rows: %zu in batches of %zu from %d nodes, one batch in %zu telemetry\n",
              workload.rows, kBatchRows, kNodes, kTelemetryEvery);
  const double baseline = run_baseline(baseline_path, workload);
  const double store = run_store(store_path, workload);
  const double store_rate = static_cast<double>(workload.rows) / store;
  const double baseline_rate = static_cast<double>(workload.rows) / baseline;
  std::printf("%-44s %10.0f rows/s  (%.2f s)\n", "hub store (NodeStore::ingest, writer thread)",
              store_rate, store);
  std::printf("%-44s %10.0f rows/s  (%.2f s)\n", "baseline (plain prepared INSERT)", baseline_rate,
              baseline);
  std::printf("store / baseline: %.2f; target: 200000 rows/s sustained\n",
              store_rate / baseline_rate);
  for (const auto& path : {store_path, baseline_path}) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  }
  return 0;
}

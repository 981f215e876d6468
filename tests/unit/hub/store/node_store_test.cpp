#include "hub/store/node_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "shared/sqlite/database.hpp"

namespace winebot::hub {
namespace {

class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::random_device entropy;
    path_ = std::filesystem::temp_directory_path() /
            ("winebot-store-test-" + std::to_string(entropy()));
    std::filesystem::create_directories(path_);
  }
  ~TemporaryFolder() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

NodeRecord sample_node() {
  NodeRecord node;
  node.id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  node.name = "WineBot on host";
  node.first_seen_ms = 100;
  node.last_seen_ms = 200;
  node.state = NodeState::kOffline;
  node.state_reason = "no answer for 2.0 s (timed out)";
  node.state_since_ms = 150;
  node.txt = {{"txtvers", "1"}, {"flag", std::nullopt}};
  NodeEndpoint endpoint;
  endpoint.key = "1/v4/x";
  endpoint.source = "avahi";
  endpoint.address = "192.0.2.7";
  endpoint.port = 8000;
  node.sightings.push_back(endpoint);
  return node;
}

TEST_CASE("NodeStore creates a WAL database at the current schema", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "sub" / "hub.db";
  { NodeStore store(path); }

  shared::Database database(path);
  CHECK(database.user_version() == NodeStore::current_schema_version());
  auto mode = database.prepare("PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.column_text(0) == "wal");
}

TEST_CASE("NodeStore saves and reloads a node", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    NodeStore store(path);
    store.start();
    store.save(sample_node());
    store.flush();
  }

  NodeStore reopened(path);
  const auto nodes = reopened.load_nodes();
  REQUIRE(nodes.size() == 1);
  const auto& node = nodes.front();
  CHECK(node.id == sample_node().id);
  CHECK(node.name == "WineBot on host");
  CHECK(node.state == NodeState::kOffline);
  CHECK(node.state_reason == "no answer for 2.0 s (timed out)");
  CHECK(node.first_seen_ms == 100);
  CHECK(node.last_seen_ms == 200);
  CHECK(node.state_since_ms == 150);
  // Order within a TXT record carries no meaning once duplicates are resolved (RFC 6763
  // section 6.4), and the store keeps it as a JSON object, so compare by key.
  REQUIRE(node.txt.size() == 2);
  CHECK(shared::find_txt_value(node.txt, "txtvers") == std::optional<std::string>("1"));
  CHECK(shared::find_txt_value(node.txt, "flag") == std::optional<std::string>(""));
  CHECK(node.sightings.empty());
  REQUIRE(node.stored_endpoints.size() == 1);
  CHECK(node.stored_endpoints.front().address == "192.0.2.7");
  CHECK(node.stored_endpoints.front().port == 8000);
  CHECK(node.stored_endpoints.front().source == "stored");
}

TEST_CASE("NodeStore keeps the newest of repeated saves", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    NodeStore store(path);
    store.start();
    auto node = sample_node();
    for (int round = 0; round < 100; ++round) {
      node.last_seen_ms = round;
      node.state_reason = "round " + std::to_string(round);
      store.save(node);
    }
    store.flush();
  }

  NodeStore reopened(path);
  const auto nodes = reopened.load_nodes();
  REQUIRE(nodes.size() == 1);
  CHECK(nodes.front().last_seen_ms == 99);
  CHECK(nodes.front().state_reason == "round 99");
}

TEST_CASE("NodeStore writes a new last_seen alone every 30 s", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  const auto last_seen_stored = [&path] {
    NodeStore reopened(path);
    return reopened.load_nodes().front().last_seen_ms;
  };
  NodeStore store(path);
  store.start();
  auto node = sample_node();
  node.last_seen_ms = 1'000;
  store.save(node);
  node.last_seen_ms = 2'000;  // A probe one second later changes nothing else.
  store.save(node);
  store.flush();
  CHECK(last_seen_stored() == 1'000);

  node.last_seen_ms = 31'000;
  store.save(node);
  store.flush();
  CHECK(last_seen_stored() == 31'000);

  node.last_seen_ms = 32'000;
  node.state = NodeState::kOnline;  // Any other change is written at once.
  store.save(node);
  store.flush();
  CHECK(last_seen_stored() == 32'000);
}

TEST_CASE("NodeStore writes queued saves when destroyed", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    NodeStore store(path);
    store.start();
    store.save(sample_node());
  }
  NodeStore reopened(path);
  CHECK(reopened.load_nodes().size() == 1);
}

TEST_CASE("NodeStore rejects a database from a newer hub", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    shared::Database database(path);
    database.execute("PRAGMA user_version=999");
  }
  try {
    NodeStore store(path);
    FAIL("expected a SqliteError");
  } catch (const shared::SqliteError& error) {
    CHECK_THAT(error.what(), Catch::Contains("schema version 999"));
  }
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

IngestBatch sample_batch(const std::string& cursor, std::vector<std::string> positions) {
  IngestBatch batch;
  batch.node_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  batch.stream = "lifecycle";
  batch.next_cursor = cursor;
  for (const auto& position : positions) {
    batch.positions.push_back(position);
    batch.bodies.push_back(R"({"kind":")" + position + R"("})");
    batch.event_ms.push_back(42);
  }
  return batch;
}

std::int64_t count_events(const std::filesystem::path& path) {
  shared::Database database(path, true);
  auto statement = database.prepare("SELECT count(*) FROM events");
  statement.step();
  return statement.column_int(0);
}

TEST_CASE("NodeStore ingests a batch and its cursor", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    NodeStore store(path);
    store.start();
    REQUIRE(store.ingest(sample_batch("cursor-2", {"1.2.0", "1.2.10"})));
    store.flush();
    CHECK(store.ingested_events() == 2);
  }

  NodeStore reopened(path);
  CHECK(count_events(path) == 2);
  const auto cursors = reopened.load_cursors();
  CHECK(cursors.at("0f8fad5b-d9cb-469f-a165-70867728950e").at("lifecycle") == "cursor-2");
}

TEST_CASE("NodeStore ignores a repeated batch", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  NodeStore store(path);
  store.start();
  REQUIRE(store.ingest(sample_batch("cursor-2", {"1.2.0", "1.2.10"})));
  REQUIRE(store.ingest(sample_batch("cursor-3", {"1.2.10", "1.2.20"})));
  store.flush();

  CHECK(store.ingested_events() == 3);
  CHECK(count_events(path) == 3);
  CHECK(store.load_cursors().begin()->second.at("lifecycle") == "cursor-3");
}

TEST_CASE("NodeStore rejects batches beyond its queue bound", "[store]") {
  TemporaryFolder folder;
  NodeStore store(folder.path() / "hub.db");  // Not started, so nothing drains the queue.
  for (std::size_t index = 0; index < NodeStore::kMaxPendingBatches; ++index) {
    REQUIRE(store.ingest(sample_batch("c", {std::to_string(index)})));
  }
  CHECK_FALSE(store.ingest(sample_batch("c", {"overflow"})));
  CHECK_FALSE(store.take_rewind("0f8fad5b-d9cb-469f-a165-70867728950e", "lifecycle"));
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

TEST_CASE("NodeStore reports only new records to its commit listener", "[store][stream]") {
  TemporaryFolder folder;
  NodeStore store(folder.path() / "hub.db");
  std::vector<IngestCommit> commits;  // Written by the writer thread, read after flush.
  store.set_commit_listener([&commits](std::vector<IngestCommit> batch) {
    commits.insert(commits.end(), batch.begin(), batch.end());
  });
  store.start();

  REQUIRE(store.ingest(sample_batch("c1", {"1", "2", "3", "4", "5"})));
  store.flush();
  REQUIRE(store.ingest(sample_batch("c2", {"5", "6"})));
  store.flush();
  REQUIRE(store.ingest(sample_batch("c3", {"6"})));
  store.flush();

  REQUIRE(commits.size() == 2);
  CHECK(commits[0].node_id == "0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK(commits[0].stream == "lifecycle");
  CHECK(commits[0].count == 5);
  CHECK(commits[0].newest_positions == std::vector<std::string>{"3", "4", "5"});
  CHECK(commits[0].newest_bodies.back() == R"({"kind":"5"})");
  CHECK(commits[1].count == 1);
  CHECK(commits[1].newest_positions == std::vector<std::string>{"6"});
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

TEST_CASE("NodeStore moves stored events to event_rows", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    // The events table as schema version 3 had it, with two rows.
    shared::Database database(path);
    database.execute(R"sql(
      CREATE TABLE events (
        id INTEGER PRIMARY KEY, node_id TEXT NOT NULL, stream TEXT NOT NULL,
        position TEXT NOT NULL, event_ms INTEGER NOT NULL, ingested_ms INTEGER NOT NULL,
        body TEXT NOT NULL, UNIQUE (node_id, stream, position));
      INSERT INTO events VALUES (7, 'node-a', 'lifecycle', '1.2.0', 5, 6, '{"kind":"a"}');
      INSERT INTO events VALUES (9, 'node-b', 'telemetry', '1.3.0', 7, 8, '{"kind":"b"}');
      PRAGMA user_version=3;
    )sql");
  }
  { NodeStore store(path); }

  shared::Database database(path, true);
  CHECK(database.user_version() == NodeStore::current_schema_version());
  auto rows = database.prepare(
      "SELECT id, node_id, stream, position, event_ms, ingested_ms, body FROM events ORDER BY id");
  REQUIRE(rows.step());
  CHECK(rows.column_int(0) == 7);
  CHECK(rows.column_text(1) == "node-a");
  CHECK(rows.column_text(2) == "lifecycle");
  CHECK(rows.column_text(3) == "1.2.0");
  CHECK(rows.column_int(4) == 5);
  CHECK(rows.column_int(5) == 6);
  CHECK(rows.column_text(6) == R"({"kind":"a"})");
  REQUIRE(rows.step());
  CHECK(rows.column_int(0) == 9);
  CHECK(rows.column_text(2) == "telemetry");
  CHECK_FALSE(rows.step());
}

TEST_CASE("NodeStore ignores a batch ingested twice", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  {
    NodeStore store(path);
    store.start();
    REQUIRE(store.ingest(sample_batch("cursor-2", {"1.2.0", "1.2.10"})));
    store.flush();
    REQUIRE(store.ingest(sample_batch("cursor-2", {"1.2.0", "1.2.10", "1.2.20"})));
    store.flush();
    CHECK(store.ingested_events() == 3);
  }
  CHECK(count_events(path) == 3);
}

}  // namespace
}  // namespace winebot::hub

namespace winebot::hub {
namespace {

IngestBatch metric_batch(const std::string& metric, const std::string& position) {
  IngestBatch batch;
  batch.node_id = "node-a";
  batch.stream = "telemetry";
  batch.positions = {position};
  batch.bodies = {R"({"metric":")" + metric + R"(","value_ms":5})"};
  batch.event_ms = {1'796'400'000'000};
  batch.next_cursor = position;
  return batch;
}

TEST_CASE("NodeStore ingests again after a failed rollup write", "[store]") {
  TemporaryFolder folder;
  const auto path = folder.path() / "hub.db";
  NodeStore store(path);
  store.start();
  {
    shared::Database database(path);
    database.execute(
        "CREATE TRIGGER reject_poison BEFORE INSERT ON rollups WHEN NEW.metric = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END");
  }
  REQUIRE(store.ingest(metric_batch("poison", "1.2.0")));
  store.flush();
  CHECK(store.ingested_events() == 0);
  const auto rewind = store.take_rewind("node-a", "telemetry");
  CHECK(rewind.has_value());
  {
    shared::Database database(path);
    database.execute("DROP TRIGGER reject_poison");
  }

  REQUIRE(store.ingest(metric_batch("healthy", "1.2.0")));
  store.flush();
  CHECK(store.ingested_events() == 1);
  shared::Database database(path, true);
  auto rollups = database.prepare("SELECT count(*) FROM rollups WHERE metric = 'healthy'");
  REQUIRE(rollups.step());
  CHECK(rollups.column_int(0) == 4);  // Node and fleet, minute and hour.
}

}  // namespace
}  // namespace winebot::hub

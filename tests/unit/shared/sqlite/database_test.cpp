#include "shared/sqlite/database.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::shared::Database;
using winebot::shared::in_transaction;
using winebot::shared::SqliteError;
using winebot::test::TempFolder;

std::int64_t count_rows(Database& database) {
  auto statement = database.prepare("SELECT count(*) FROM events");
  REQUIRE(statement.step());
  return statement.column_int(0);
}

// A database with one table, `events(id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)`.
struct EventsDatabase {
  EventsDatabase() : database(folder.file("test.db")) {
    database.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)");
  }

  TempFolder folder;
  Database database;
};

}  // namespace

TEST_CASE("Database creates a missing file", "[sqlite]") {
  TempFolder folder;
  const auto path = folder.file("new.db");

  Database database(path);

  REQUIRE(std::filesystem::exists(path));
}

TEST_CASE("Database names the path when it cannot open", "[sqlite]") {
  TempFolder folder;
  const auto path = folder.path() / "missing-folder" / "test.db";

  REQUIRE_THROWS_WITH(Database(path), Catch::Contains(path.string()) &&
                                          Catch::Contains("unable to open database file"));
}

TEST_CASE("Database opens read-only only an existing file", "[sqlite]") {
  TempFolder folder;

  REQUIRE_THROWS_AS(Database(folder.file("missing.db"), true), SqliteError);
}

TEST_CASE("Statement binds and reads back each type", "[sqlite]") {
  EventsDatabase fixture;
  auto insert = fixture.database.prepare("INSERT INTO events (id, name, note) VALUES (?, ?, ?)");
  insert.bind(1, std::int64_t{1} << 40).bind(2, std::string_view("start")).bind_null(3);
  insert.run();

  auto select = fixture.database.prepare("SELECT id, name, note FROM events");

  REQUIRE(select.step());
  REQUIRE(select.column_int(0) == std::int64_t{1} << 40);
  REQUIRE(select.column_text(1) == "start");
  REQUIRE(select.column_is_null(2));
  REQUIRE(select.column_text(2).empty());
  REQUIRE_FALSE(select.step());
}

TEST_CASE("Statement keeps NUL bytes in text", "[sqlite]") {
  EventsDatabase fixture;
  const std::string text("a\0b", 3);
  fixture.database.prepare("INSERT INTO events (name) VALUES (?)").bind(1, text).run();

  auto select = fixture.database.prepare("SELECT name FROM events");

  REQUIRE(select.step());
  REQUIRE(select.column_text(0) == text);
}

TEST_CASE("Statement run resets for the next binding", "[sqlite]") {
  EventsDatabase fixture;
  auto insert = fixture.database.prepare("INSERT INTO events (name) VALUES (?)");

  for (int round = 0; round < 3; ++round) {
    insert.bind(1, std::string_view("event")).run();
  }

  REQUIRE(count_rows(fixture.database) == 3);
}

TEST_CASE("Database user_version starts at 0 and is stored", "[sqlite]") {
  TempFolder folder;
  const auto path = folder.file("versioned.db");
  {
    Database database(path);
    REQUIRE(database.user_version() == 0);
    database.execute("PRAGMA user_version = 7");
  }

  Database reopened(path);

  REQUIRE(reopened.user_version() == 7);
}

TEST_CASE("in_transaction commits when the body returns", "[sqlite]") {
  EventsDatabase fixture;

  in_transaction(fixture.database, [&] {
    fixture.database.execute("INSERT INTO events (name) VALUES ('a'), ('b')");
  });

  REQUIRE(count_rows(fixture.database) == 2);
}

TEST_CASE("in_transaction rolls back when the body throws", "[sqlite]") {
  EventsDatabase fixture;
  fixture.database.execute("INSERT INTO events (name) VALUES ('kept')");

  REQUIRE_THROWS_WITH(
      in_transaction(fixture.database,
                     [&] {
                       fixture.database.execute("INSERT INTO events (name) VALUES ('dropped')");
                       throw std::runtime_error("body failed");
                     }),
      "body failed");

  REQUIRE(count_rows(fixture.database) == 1);
  // The connection is usable again: no transaction was left open.
  in_transaction(fixture.database, [] {});
}

TEST_CASE("SqliteError carries SQLite's message for bad SQL", "[sqlite]") {
  EventsDatabase fixture;

  REQUIRE_THROWS_WITH(fixture.database.prepare("SELEC 1"),
                      Catch::Contains("syntax error") && Catch::Contains("SELEC 1"));
  REQUIRE_THROWS_WITH(fixture.database.execute("DROP TABLE missing"),
                      Catch::Contains("no such table: missing"));
}

TEST_CASE("SqliteError carries SQLite's message for a failed step", "[sqlite]") {
  EventsDatabase fixture;
  auto insert = fixture.database.prepare("INSERT INTO events (id, name) VALUES (1, ?)");
  insert.bind(1, std::string_view("first")).run();

  REQUIRE_THROWS_WITH(insert.bind(1, std::string_view("second")).run(),
                      Catch::Contains("UNIQUE constraint failed: events.id"));
  REQUIRE_THROWS_WITH(fixture.database.prepare("INSERT INTO events (name) VALUES (NULL)").run(),
                      Catch::Contains("NOT NULL constraint failed"));
}

TEST_CASE("Statement rejects a bind index out of range", "[sqlite]") {
  EventsDatabase fixture;
  auto insert = fixture.database.prepare("INSERT INTO events (name) VALUES (?)");

  REQUIRE_THROWS_WITH(
      insert.bind(2, std::int64_t{1}),
      Catch::Contains("parameter 2") && Catch::Contains("column index out of range"));
}

TEST_CASE("Database rejects SQL without a statement", "[sqlite]") {
  EventsDatabase fixture;

  REQUIRE_THROWS_AS(fixture.database.prepare("  -- only a comment"), SqliteError);
}

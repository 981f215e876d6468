#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace winebot::shared {

// A failed SQLite call, with the library's own message (sqlite3_errmsg) and the statement.
class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A prepared statement. Bind indexes start at 1, column indexes at 0, as in SQLite's C API.
// Not thread-safe; belongs to the thread of its Database.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_double(int index, double value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // Runs one step. Returns true when a row is ready to read, false when the statement is done.
  bool step();
  // Runs to completion and resets, ready for the next bind.
  void run();
  void reset();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  double column_double(int index) const;
  // Returns the column's bytes as stored, for BLOB columns.
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
};

// One SQLite connection. Not thread-safe: each thread that touches the database opens its own.
class Database {
 public:
  // Opens or creates the file. Throws SqliteError naming the path on failure.
  explicit Database(const std::filesystem::path& path, bool read_only = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void execute(std::string_view sql);
  Statement prepare(std::string_view sql);
  std::int64_t user_version();
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back if it throws.
template <typename Body>
void in_transaction(Database& database, Body&& body) {
  database.execute("BEGIN IMMEDIATE");
  try {
    body();
  } catch (...) {
    database.execute("ROLLBACK");
    throw;
  }
  database.execute("COMMIT");
}

}  // namespace winebot::shared

#include "shared/sqlite/database.hpp"

#include <sqlite3.h>

#include <utility>

namespace winebot::shared {
namespace {

constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void fail(sqlite3* db, std::string_view context) {
  throw SqliteError(std::string(context) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), statement_(nullptr) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr) !=
      SQLITE_OK) {
    fail(db, "failed to prepare '" + std::string(sql) + "'");
  }
  // SQLite returns no statement, and no error, for text containing only whitespace or comments.
  if (statement_ == nullptr) {
    throw SqliteError("failed to prepare '" + std::string(sql) + "': no SQL statement in it");
  }
}

Statement::~Statement() {
  sqlite3_finalize(statement_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) {
    fail(db_, "failed to bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, "failed to bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  if (sqlite3_bind_double(statement_, index, value) != SQLITE_OK) {
    fail(db_, "failed to bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, "failed to bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(statement_, index) != SQLITE_OK) {
    fail(db_, "failed to bind parameter " + std::to_string(index));
  }
  return *this;
}

bool Statement::step() {
  const int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) {
    return true;
  }
  if (result == SQLITE_DONE) {
    return false;
  }
  fail(db_, std::string("failed to run '") + sqlite3_sql(statement_) + "'");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(statement_, index);
  const int size = sqlite3_column_bytes(statement_, index);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

double Statement::column_double(int index) const {
  return sqlite3_column_double(statement_, index);
}

std::string Statement::column_blob(int index) const {
  const auto* bytes = sqlite3_column_blob(statement_, index);
  const int size = sqlite3_column_bytes(statement_, index);
  return bytes == nullptr ? std::string() : std::string(static_cast<const char*>(bytes), size);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

Database::Database(const std::filesystem::path& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = db_ == nullptr ? "out of memory" : sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError("failed to open database " + path.string() + ": " + message);
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Database::~Database() {
  sqlite3_close(db_);
}

void Database::execute(std::string_view sql) {
  char* message = nullptr;
  const std::string statement(sql);
  if (sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message == nullptr ? sqlite3_errmsg(db_) : message;
    sqlite3_free(message);
    throw SqliteError("failed to run '" + statement + "': " + text);
  }
}

Statement Database::prepare(std::string_view sql) {
  return Statement(db_, sql);
}

std::int64_t Database::user_version() {
  auto statement = prepare("PRAGMA user_version");
  statement.step();
  return statement.column_int(0);
}

}  // namespace winebot::shared

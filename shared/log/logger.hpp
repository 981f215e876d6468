#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace winebot::shared {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// One `key=value` field of a log line. Values are stored as text; numbers are formatted by the
// caller's overload of `field`.
struct LogField {
  std::string key;
  std::string value;
};

LogField field(std::string key, std::string_view value);
LogField field(std::string key, const char* value);
LogField field(std::string key, long long value);
LogField field(std::string key, double value);
inline LogField field(std::string key, int value) {
  return field(std::move(key), static_cast<long long>(value));
}
inline LogField field(std::string key, unsigned value) {
  return field(std::move(key), static_cast<long long>(value));
}
inline LogField field(std::string key, long value) {
  return field(std::move(key), static_cast<long long>(value));
}
inline LogField field(std::string key, unsigned long value) {
  return field(std::move(key), static_cast<long long>(value));
}

// Process-wide structured logger writing one line per event to stderr, either as
// `LEVEL event key=value ...` or as one JSON object per line. Configure it once in `main` before
// any other thread starts; `write` is safe to call from any thread afterwards.
class Logger {
 public:
  static void configure(LogLevel level, LogFormat format);
  static bool enabled(LogLevel level);
  static void write(LogLevel level, std::string_view event, const std::vector<LogField>& fields);
};

// Parses `debug|info|warn|error`; returns false for anything else.
bool parse_log_level(std::string_view text, LogLevel& level);
// Parses `text|json`; returns false for anything else.
bool parse_log_format(std::string_view text, LogFormat& format);

inline void log_debug(std::string_view event, const std::vector<LogField>& fields = {}) {
  if (Logger::enabled(LogLevel::kDebug)) {
    Logger::write(LogLevel::kDebug, event, fields);
  }
}
inline void log_info(std::string_view event, const std::vector<LogField>& fields = {}) {
  Logger::write(LogLevel::kInfo, event, fields);
}
inline void log_warn(std::string_view event, const std::vector<LogField>& fields = {}) {
  Logger::write(LogLevel::kWarn, event, fields);
}
inline void log_error(std::string_view event, const std::vector<LogField>& fields = {}) {
  Logger::write(LogLevel::kError, event, fields);
}

}  // namespace winebot::shared

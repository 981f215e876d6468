#include "shared/log/logger.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

namespace winebot::shared {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_write_mutex;  // Keeps lines from several threads whole.

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(millis));
  return text;
}

// Quotes a value when it would otherwise break `key=value` splitting.
std::string text_value(const std::string& value) {
  const bool needs_quotes = value.empty() || value.find_first_of(" \t\n\r\"=") != std::string::npos;
  if (!needs_quotes) {
    return value;
  }
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_text(LogLevel level, std::string_view event,
                        const std::vector<LogField>& fields) {
  std::string line = utc_timestamp();
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += event;
  for (const auto& item : fields) {
    line += ' ';
    line += item.key;
    line += '=';
    line += text_value(item.value);
  }
  return line;
}

std::string format_json(LogLevel level, std::string_view event,
                        const std::vector<LogField>& fields) {
  nlohmann::json record = {
      {"ts", utc_timestamp()}, {"level", level_name(level)}, {"event", std::string(event)}};
  for (const auto& item : fields) {
    record[item.key] = item.value;
  }
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

LogField field(std::string key, std::string_view value) {
  return {std::move(key), std::string(value)};
}

LogField field(std::string key, const char* value) {
  return {std::move(key), value == nullptr ? std::string() : std::string(value)};
}

LogField field(std::string key, long long value) {
  return {std::move(key), std::to_string(value)};
}

LogField field(std::string key, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return {std::move(key), text};
}

void Logger::configure(LogLevel level, LogFormat format) {
  g_level = level;
  g_format = format;
}

bool Logger::enabled(LogLevel level) {
  return level >= g_level.load();
}

void Logger::write(LogLevel level, std::string_view event, const std::vector<LogField>& fields) {
  if (!enabled(level)) {
    return;
  }
  std::string line = g_format.load() == LogFormat::kJson ? format_json(level, event, fields)
                                                         : format_text(level, event, fields);
  line += '\n';
  const std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

bool parse_log_level(std::string_view text, LogLevel& level) {
  if (text == "debug") {
    level = LogLevel::kDebug;
  } else if (text == "info") {
    level = LogLevel::kInfo;
  } else if (text == "warn") {
    level = LogLevel::kWarn;
  } else if (text == "error") {
    level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

bool parse_log_format(std::string_view text, LogFormat& format) {
  if (text == "text") {
    format = LogFormat::kText;
  } else if (text == "json") {
    format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

}  // namespace winebot::shared

#include "node/recorder/session_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <random>
#include <system_error>

#include "shared/util/files.hpp"
#include "shared/util/unique_fd.hpp"

namespace winebot::node {
namespace {

using nlohmann::json;

std::string random_hex(std::size_t digits) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<int> digit(0, 15);
  std::string text;
  for (std::size_t index = 0; index < digits; ++index) {
    text += "0123456789abcdef"[digit(generator)];
  }
  return text;
}

std::tm utc_fields(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  return fields;
}

// Holds flock(LOCK_EX) on a lock file for the scope.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (!fd_) {
      throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
    }
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "cannot lock " + path.string());
      }
    }
  }

 private:
  shared::UniqueFd fd_;  // closing releases the lock
};

int highest_video_segment(const std::filesystem::path& folder) {
  int highest = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    // The text between the first "_" and the first "." must be a number, so part files
    // (video_001_part002.mkv) do not count.
    const auto name = entry.path().filename().string();
    if (name.rfind("video_", 0) != 0 || entry.path().extension() != ".mkv") {
      continue;
    }
    const auto digits = name.substr(6, name.find('.') - 6);
    if (!digits.empty() && digits.size() < 9 &&
        digits.find_first_not_of("0123456789") == std::string::npos) {
      highest = std::max(highest, std::stoi(digits));
    }
  }
  return highest;
}

}  // namespace

std::string segment_name(int segment) {
  char text[16];
  std::snprintf(text, sizeof text, "%03d", segment);
  return text;
}

std::int64_t epoch_ms(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const auto fields = utc_fields(time);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count() %
      1000000;
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &fields);
  std::string iso = text;
  if (micros != 0) {
    std::snprintf(text, sizeof text, ".%06lld", static_cast<long long>(micros));
    iso += text;
  }
  return iso + "+00:00";
}

std::optional<double> start_time_ms(const json& manifest) {
  const auto it = manifest.find("start_time_epoch");
  if (it == manifest.end() || !it->is_number()) {
    return std::nullopt;
  }
  const double value = it->get<double>();
  constexpr double kSecondsBelow = 1e11;  // 1e11 ms is 1973; 1e11 s is far in the future
  return value < kSecondsBelow ? value * 1000.0 : value;
}

std::string SessionFolder::sanitise_label(const std::string& label) {
  std::string cleaned;
  for (const char character : label) {
    const bool allowed = std::isalnum(static_cast<unsigned char>(character)) || character == '.' ||
                         character == '_' || character == '-';
    if (allowed) {
      cleaned += character;
    } else if (cleaned.empty() || cleaned.back() != '-') {
      cleaned += '-';
    }
  }
  const auto first = cleaned.find_first_not_of('-');
  if (first == std::string::npos) {
    return "";
  }
  return cleaned.substr(first, cleaned.find_last_not_of('-') - first + 1);
}

SessionFolder SessionFolder::create(const std::filesystem::path& root, const std::string& label,
                                    std::chrono::system_clock::time_point now) {
  const auto fields = utc_fields(now);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &fields);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  std::string id =
      "session-" + std::string(date) + "-" + std::to_string(seconds.count()) + "-" + random_hex(6);
  if (const auto cleaned = sanitise_label(label); !cleaned.empty()) {
    id += "-" + cleaned;
  }

  SessionFolder folder(root / id);
  for (const char* sub : {"logs", "screenshots", "scripts", "user"}) {
    std::filesystem::create_directories(folder.path_ / sub);
  }
  return folder;
}

bool SessionFolder::exists() const {
  std::error_code error;
  return std::filesystem::is_directory(path_, error);
}

json SessionFolder::read_manifest() const {
  const auto text = shared::read_text_file(path_ / "session.json");
  if (!text) {
    return json::object();
  }
  auto manifest = json::parse(*text, nullptr, false);
  return manifest.is_object() ? manifest : json::object();
}

std::string SessionFolder::ensure_manifest(const SessionFacts& facts,
                                           std::chrono::system_clock::time_point now) const {
  const auto existing = read_manifest();
  nlohmann::ordered_json manifest;
  const auto keep = [&](const char* key, const nlohmann::ordered_json& fallback) {
    const auto it = existing.find(key);
    const bool present = it != existing.end() && !it->is_null() && *it != "";
    manifest[key] = present ? nlohmann::ordered_json(*it) : fallback;
  };
  keep("schema_version", "1.0");
  keep("session_id", id());
  keep("recording_timeline_id", "timeline-" + random_hex(32));
  keep("start_time_epoch", static_cast<double>(epoch_ms(now)));
  keep("start_time_iso", iso_utc(now));
  keep("hostname", facts.hostname);
  keep("display", facts.display);
  keep("resolution", facts.resolution);
  keep("fps", facts.fps);
  keep("git_sha", facts.git_sha.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(facts.git_sha));
  for (const auto& [key, value] : existing.items()) {
    if (!manifest.contains(key)) {
      manifest[key] = value;  // keys other writers added stay
    }
  }

  if (json(manifest) != existing) {
    shared::write_file_atomically(path_ / "session.json", manifest.dump(2) + "\n");
  }
  return manifest["recording_timeline_id"].get<std::string>();
}

int SessionFolder::allocate_segment() const {
  FileLock lock(path_ / "segment_index.lock");
  int next = 0;
  if (const auto text = read_text("segment_index.txt")) {
    try {
      next = std::stoi(*text);
    } catch (const std::exception&) {
      next = 0;
    }
  }
  if (next < 1) {
    next = highest_video_segment(path_) + 1;
  }
  shared::write_file_atomically(path_ / "segment_index.txt", std::to_string(next + 1));
  return next;
}

void SessionFolder::write_text(const std::string& name, const std::string& content) const {
  shared::write_file_atomically(path_ / name, content);
}

std::optional<std::string> SessionFolder::read_text(const std::string& name) const {
  auto text = shared::read_text_file(path_ / name);
  if (!text) {
    return std::nullopt;
  }
  const auto first = text->find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return std::string();
  }
  return text->substr(first, text->find_last_not_of(" \t\r\n") - first + 1);
}

void SessionFolder::remove(const std::string& name) const {
  std::error_code ignored;  // already gone is fine
  std::filesystem::remove(path_ / name, ignored);
}

std::filesystem::path SessionFolder::video_file(int segment) const {
  return path_ / ("video_" + segment_name(segment) + ".mkv");
}
std::filesystem::path SessionFolder::events_file(int segment) const {
  return path_ / ("events_" + segment_name(segment) + ".jsonl");
}
std::filesystem::path SessionFolder::segment_manifest_file(int segment) const {
  return path_ / ("segment_" + segment_name(segment) + ".json");
}
std::filesystem::path SessionFolder::vtt_file(int segment) const {
  return path_ / ("events_" + segment_name(segment) + ".vtt");
}
std::filesystem::path SessionFolder::ass_file(int segment) const {
  return path_ / ("events_" + segment_name(segment) + ".ass");
}

}  // namespace winebot::node

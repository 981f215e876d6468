#include "node/recorder/artifact_manifest.hpp"

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "node/recorder/session_folder.hpp"
#include "shared/log/logger.hpp"
#include "shared/util/files.hpp"

namespace winebot::node {
namespace {

constexpr const char* kManifestName = "recording_artifacts_manifest.json";

struct ShaFreer {
  void operator()(AVSHA* sha) const { av_free(sha); }
};

std::optional<std::string> sha256_of(const std::filesystem::path& path) {
  std::unique_ptr<AVSHA, ShaFreer> sha(av_sha_alloc());
  std::ifstream input(path, std::ios::binary);
  if (!sha || !input || av_sha_init(sha.get(), 256) < 0) {
    return std::nullopt;
  }
  char block[64 * 1024];
  while (input.read(block, sizeof block) || input.gcount() > 0) {
    av_sha_update(sha.get(), reinterpret_cast<const uint8_t*>(block),
                  static_cast<unsigned>(input.gcount()));
  }
  if (input.bad()) {
    return std::nullopt;
  }
  uint8_t digest[32];
  av_sha_final(sha.get(), digest);
  std::string hex;
  char pair[3];
  for (const auto byte : digest) {
    std::snprintf(pair, sizeof pair, "%02x", byte);
    hex += pair;
  }
  return hex;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

nlohmann::ordered_json describe_file(const std::filesystem::directory_entry& entry,
                                     const std::string& relative) {
  std::error_code error;
  const auto size = entry.file_size(error);
  const auto mtime = std::chrono::file_clock::to_sys(entry.last_write_time(error));
  nlohmann::ordered_json file{
      {"path", relative},
      {"category", artifact_category(relative)},
      {"size_bytes", size},
      {"mtime_epoch", std::chrono::duration<double>(mtime.time_since_epoch()).count()}};
  if (size > kMaxHashedFileBytes) {
    file["sha256_status"] = "skipped_too_large";
  } else if (const auto digest = sha256_of(entry.path())) {
    file["sha256"] = *digest;
    file["sha256_status"] = "ok";
  } else {
    file["sha256_status"] = "error";
  }
  return file;
}

}  // namespace

std::string artifact_category(const std::string& path) {
  if (starts_with(path, "logs/input_events")) {
    return "input_trace";
  }
  if (starts_with(path, "logs/")) {
    return "log";
  }
  if (starts_with(path, "screenshots/")) {
    return "screenshot";
  }
  if (starts_with(path, "video_")) {
    return "video";
  }
  if (starts_with(path, "events_")) {
    return "events";
  }
  if (starts_with(path, "segment_")) {
    return "segment_manifest";
  }
  if (ends_with(path, ".vtt") || ends_with(path, ".ass")) {
    return "subtitle";
  }
  if (path == "session.json") {
    return "session_manifest";
  }
  if (ends_with(path, ".json") && path.find("health") != std::string::npos) {
    return "health";
  }
  return "other";
}

nlohmann::ordered_json build_artifact_manifest(const ManifestRequest& request) {
  const SessionFolder folder(request.session_dir);
  const auto session = folder.read_manifest();
  const auto now = std::chrono::system_clock::now();

  std::vector<nlohmann::ordered_json> files;
  std::error_code error;
  const auto options = std::filesystem::directory_options::skip_permission_denied;
  for (std::filesystem::recursive_directory_iterator it(request.session_dir, options, error), end;
       !error && it != end; it.increment(error)) {
    if (!it->is_regular_file(error)) {
      continue;
    }
    const auto relative = it->path().lexically_relative(request.session_dir).generic_string();
    const bool is_manifest = starts_with(relative, kManifestName);
    const bool excluded_trace =
        !request.include_input_traces && artifact_category(relative) == "input_trace";
    if (!is_manifest && !excluded_trace) {
      files.push_back(describe_file(*it, relative));
    }
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a["path"].template get<std::string>() < b["path"].template get<std::string>();
  });

  const auto text = [&](const char* key, const std::string& fallback) {
    const auto it = session.find(key);
    return it != session.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  nlohmann::ordered_json snapshot(request.config_snapshot);
  return {{"schema_version", "1.0"},
          {"manifest_type", "recording_artifacts"},
          {"generated_at_utc", iso_utc(now)},
          {"generated_at_epoch_ms", epoch_ms(now)},
          {"generated_by_action", request.action},
          {"session_id", text("session_id", folder.id())},
          {"recording_timeline_id", text("recording_timeline_id", "")},
          {"session_dir", request.session_dir.string()},
          {"config_snapshot", snapshot},
          {"artifacts", files}};
}

void write_artifact_manifest(const ManifestRequest& request) {
  const auto manifest = build_artifact_manifest(request);
  shared::write_file_atomically(request.session_dir / kManifestName, manifest.dump(2) + "\n");
}

ArtifactManifestWriter::ArtifactManifestWriter() : thread_([this] { run(); }) {}

ArtifactManifestWriter::~ArtifactManifestWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    pending_.reset();
  }
  changed_.notify_all();
  thread_.join();
}

void ArtifactManifestWriter::submit(ManifestRequest request) {
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(request);
  }
  changed_.notify_all();
}

bool ArtifactManifestWriter::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return !pending_ && !busy_; });
}

void ArtifactManifestWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || pending_.has_value(); });
    if (stopping_) {
      return;
    }
    auto request = std::move(*pending_);
    pending_.reset();
    busy_ = true;
    lock.unlock();
    try {
      write_artifact_manifest(request);
    } catch (const std::exception& error) {
      shared::log_warn("recorder.manifest_failed",
                       {shared::field("session_dir", request.session_dir.string()),
                        shared::field("error", error.what())});
    }
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace winebot::node

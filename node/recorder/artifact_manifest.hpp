#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace winebot::node {

// Files larger than this are listed without a SHA-256 ("skipped_too_large").
inline constexpr std::uint64_t kMaxHashedFileBytes = 64ull << 20;

// The artifact kind of a path relative to the session folder: input_trace, log, screenshot,
// video, events, segment_manifest, subtitle, session_manifest, health or other (first match).
std::string artifact_category(const std::string& relative_path);

struct ManifestRequest {
  std::filesystem::path session_dir;
  std::string action;  // start, stop, stop_requested, stop_reconciled or refresh
  std::map<std::string, std::string> config_snapshot;
  bool include_input_traces = true;
};

// Lists every file under the session folder (except the manifest itself, and the input-trace
// logs when they are excluded) with its size, mtime and SHA-256, sorted by path.
nlohmann::ordered_json build_artifact_manifest(const ManifestRequest& request);

// Writes recording_artifacts_manifest.json (indent 2) through a temporary file and a rename.
// Throws std::system_error when it cannot.
void write_artifact_manifest(const ManifestRequest& request);

// Writes manifests on its own thread, because hashing a session (a Wine profile included) can
// take seconds. The queue has room for one request, and a newer one replaces a waiting one,
// because each manifest describes the whole folder. Threading: submit() may be called from any
// thread. The destructor finishes the current manifest and drops a waiting one.
class ArtifactManifestWriter {
 public:
  ArtifactManifestWriter();
  ~ArtifactManifestWriter();
  ArtifactManifestWriter(const ArtifactManifestWriter&) = delete;
  ArtifactManifestWriter& operator=(const ArtifactManifestWriter&) = delete;

  void submit(ManifestRequest request);
  // Waits until no request is waiting or being written, or `timeout` passes. For tests.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void run();

  std::mutex mutex_;  // guards pending_, busy_ and stopping_
  std::condition_variable changed_;
  std::optional<ManifestRequest> pending_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace winebot::node

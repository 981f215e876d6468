#include "node/recorder/artifact_manifest.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/unit/support/temp_folder.hpp"

namespace {

using winebot::node::artifact_category;
using winebot::node::build_artifact_manifest;
using winebot::node::ManifestRequest;

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> listed_paths(const nlohmann::ordered_json& manifest) {
  std::vector<std::string> paths;
  for (const auto& artifact : manifest["artifacts"]) {
    paths.push_back(artifact["path"]);
  }
  return paths;
}

struct SessionWithArtifacts {
  SessionWithArtifacts() {
    write(folder.file("session.json"),
          R"({"session_id":"session-x","recording_timeline_id":"timeline-abc"})");
    write(folder.file("video_001.mkv"), "video");
    write(folder.file("events_001.jsonl"), "{}\n");
    write(folder.file("logs/input_events.jsonl"), "{}\n");
    write(folder.file("recording_artifacts_manifest.json"), "{}");
  }
  winebot::test::TempFolder folder;
};

}  // namespace

TEST_CASE("Artifact manifest lists segment files", "[recorder]") {
  SessionWithArtifacts session;

  const auto manifest =
      build_artifact_manifest(ManifestRequest{session.folder.path(), "stop", {}, true});

  CHECK(manifest["manifest_type"] == "recording_artifacts");
  CHECK(manifest["recording_timeline_id"] == "timeline-abc");
  CHECK(manifest["session_id"] == "session-x");
  CHECK(manifest["generated_by_action"] == "stop");
  const auto paths = listed_paths(manifest);
  CHECK(paths == std::vector<std::string>{"events_001.jsonl", "logs/input_events.jsonl",
                                          "session.json", "video_001.mkv"});
  const auto& video = manifest["artifacts"][3];
  CHECK(video["category"] == "video");
  CHECK(video["size_bytes"] == 5);
  CHECK(video["sha256_status"] == "ok");
  // SHA-256 of the five bytes "video", from sha256sum.
  CHECK(video["sha256"] == "0cab1c9617404faf2b24e221e189ca5945813e14d3f766345b09ca13bbe28ffc");
}

TEST_CASE("Artifact manifest excludes input traces", "[recorder]") {
  SessionWithArtifacts session;

  const auto manifest =
      build_artifact_manifest(ManifestRequest{session.folder.path(), "start", {}, false});

  const auto paths = listed_paths(manifest);
  CHECK(std::find(paths.begin(), paths.end(), "logs/input_events.jsonl") == paths.end());
  CHECK(std::find(paths.begin(), paths.end(), "video_001.mkv") != paths.end());
}

TEST_CASE("Artifact categories follow first match", "[recorder]") {
  CHECK(artifact_category("logs/input_events_client.jsonl") == "input_trace");
  CHECK(artifact_category("logs/lifecycle.jsonl") == "log");
  CHECK(artifact_category("screenshots/a.png") == "screenshot");
  CHECK(artifact_category("video_001.mkv") == "video");
  CHECK(artifact_category("events_001.vtt") == "events");
  CHECK(artifact_category("segment_001.json") == "segment_manifest");
  CHECK(artifact_category("chapters.ass") == "subtitle");
  CHECK(artifact_category("session.json") == "session_manifest");
  CHECK(artifact_category("recorder_health.json") == "health");
  CHECK(artifact_category("user/notes.txt") == "other");
}

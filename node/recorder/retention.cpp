#include "node/recorder/retention.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace winebot::node {
namespace {

struct Candidate {
  std::filesystem::path path;
  std::string relative;
  std::optional<int> segment;
  std::uint64_t size = 0;
  std::filesystem::file_time_type mtime;
};

// The segment number of names like video_012.mkv, events_3.jsonl or parts_1000.txt; part files
// (video_001_part002.mkv) belong to their segment.
std::optional<int> segment_of(const std::string& name) {
  for (const char* prefix : {"video_", "events_", "segment_", "parts_", "part_index_"}) {
    const std::string text = prefix;
    if (name.rfind(text, 0) != 0) {
      continue;
    }
    std::size_t end = text.size();
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) {
      ++end;
    }
    if (end == text.size() || end - text.size() > 9) {
      return std::nullopt;
    }
    return std::stoi(name.substr(text.size(), end - text.size()));
  }
  return std::nullopt;
}

bool is_candidate_name(const std::string& name) {
  for (const char* prefix : {"video_", "events_", "segment_", "parts_", "part_index_"}) {
    if (name.rfind(prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

void add_candidate(std::vector<Candidate>& candidates,
                   const std::filesystem::directory_entry& entry, const std::string& relative,
                   std::optional<int> segment) {
  std::error_code error;
  if (!entry.is_regular_file(error)) {
    return;
  }
  Candidate candidate{entry.path(), relative, segment, entry.file_size(error), {}};
  candidate.mtime = entry.last_write_time(error);
  candidates.push_back(std::move(candidate));
}

std::vector<Candidate> list_candidates(const std::filesystem::path& session_dir) {
  std::vector<Candidate> candidates;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(session_dir, error)) {
    const auto name = entry.path().filename().string();
    if (is_candidate_name(name)) {
      add_candidate(candidates, entry, name, segment_of(name));
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(session_dir / "logs", error)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("input_events", 0) == 0) {
      add_candidate(candidates, entry, "logs/" + name, std::nullopt);
    }
  }
  return candidates;
}

}  // namespace

nlohmann::json RetentionResult::to_json() const {
  nlohmann::json errors_json = nlohmann::json::array();
  for (const auto& [path, reason] : errors) {
    errors_json.push_back({{"path", path}, {"error", reason}});
  }
  return {{"deleted", deleted}, {"errors", errors_json}, {"bytes_freed", bytes_freed}};
}

RetentionResult apply_retention(const std::filesystem::path& session_dir,
                                const RetentionSettings& settings, int protected_segment,
                                std::chrono::system_clock::time_point now) {
  auto candidates = list_candidates(session_dir);
  std::set<std::string> doomed;

  if (settings.max_segments > 0) {
    std::set<int> segments;
    for (const auto& candidate : candidates) {
      if (candidate.segment) {
        segments.insert(*candidate.segment);
      }
    }
    std::set<int> kept;
    for (auto it = segments.rbegin();
         it != segments.rend() && kept.size() < static_cast<std::size_t>(settings.max_segments);
         ++it) {
      kept.insert(*it);
    }
    for (const auto& candidate : candidates) {
      if (candidate.segment && !kept.count(*candidate.segment)) {
        doomed.insert(candidate.relative);
      }
    }
  }

  if (settings.max_age_days > 0) {
    const auto file_now = std::chrono::file_clock::from_sys(now);
    const auto max_age = std::chrono::hours(24) * settings.max_age_days;
    for (const auto& candidate : candidates) {
      if (file_now - candidate.mtime > max_age) {
        doomed.insert(candidate.relative);
      }
    }
  }

  if (settings.max_bytes > 0) {
    std::vector<const Candidate*> remaining;
    std::uint64_t total = 0;
    for (const auto& candidate : candidates) {
      if (!doomed.count(candidate.relative)) {
        remaining.push_back(&candidate);
        total += candidate.size;
      }
    }
    std::sort(remaining.begin(), remaining.end(), [](const Candidate* a, const Candidate* b) {
      return a->mtime != b->mtime ? a->mtime < b->mtime : a->relative < b->relative;
    });
    for (const auto* candidate : remaining) {
      if (total <= static_cast<std::uint64_t>(settings.max_bytes)) {
        break;
      }
      if (candidate->segment != protected_segment || protected_segment == 0) {
        doomed.insert(candidate->relative);
        total -= candidate->size;
      }
    }
  }

  RetentionResult result;
  for (const auto& candidate : candidates) {
    if (!doomed.count(candidate.relative) ||
        (protected_segment != 0 && candidate.segment == protected_segment)) {
      continue;
    }
    std::error_code error;
    if (std::filesystem::remove(candidate.path, error)) {
      result.deleted.push_back(candidate.relative);
      result.bytes_freed += candidate.size;
    } else if (error) {
      result.errors.emplace_back(candidate.relative, error.message());
    }
  }
  std::sort(result.deleted.begin(), result.deleted.end());
  return result;
}

}  // namespace winebot::node

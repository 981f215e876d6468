#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace winebot::node {

// Counts the lines of one append-only JSONL file without ever scanning it whole in one call:
// each `refresh` reads forward from where the previous one stopped, at most `budget_bytes`, so
// a 10 GiB log costs a little on many calls instead of everything on one. When the file is
// replaced or truncated, counting starts again from its beginning.
// Threading: belongs to the io_context thread.
class StreamStats {
 public:
  static constexpr std::uint64_t kDefaultBudgetBytes = 8 * 1024 * 1024;

  explicit StreamStats(std::uint64_t budget_bytes = kDefaultBudgetBytes)
      : budget_bytes_(budget_bytes) {}

  // Advances the count for `path` and returns {count, count_complete, size_bytes,
  // newest_epoch_ms}. `newest_epoch_ms` is the `timestamp_epoch_ms` of the newest line, or null.
  nlohmann::json refresh(const std::filesystem::path& path);

 private:
  std::uint64_t budget_bytes_;
  std::filesystem::path path_;
  std::uint64_t device_ = 0;
  std::uint64_t inode_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace winebot::node

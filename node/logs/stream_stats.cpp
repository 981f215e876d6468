#include "node/logs/stream_stats.hpp"

#include <algorithm>
#include <vector>

#include "shared/jsonl/tail_reader.hpp"

namespace winebot::node {
namespace {

constexpr std::size_t kReadBlockBytes = 256 * 1024;

nlohmann::json newest_timestamp(const std::filesystem::path& path) {
  const shared::TailReader reader;
  const auto tail = reader.read_last_lines(path, 1);
  if (!tail.ok() || tail.lines.empty()) {
    return nullptr;
  }
  const auto record = nlohmann::json::parse(tail.lines.back(), nullptr, false);
  if (!record.is_object() || !record.contains("timestamp_epoch_ms") ||
      !record["timestamp_epoch_ms"].is_number()) {
    return nullptr;
  }
  return record["timestamp_epoch_ms"];
}

}  // namespace

nlohmann::json StreamStats::refresh(const std::filesystem::path& path) {
  auto opened = shared::ReadOnlyFile::open(path);
  if (!opened.ok() || !opened.file) {
    path_ = path;
    device_ = inode_ = offset_ = count_ = 0;
    return {
        {"count", 0}, {"count_complete", true}, {"size_bytes", 0}, {"newest_epoch_ms", nullptr}};
  }
  const auto status = opened.file->status();
  if (!status.ok()) {
    return {{"error", status.error}};
  }

  const auto& file = status.status;
  if (path != path_ || file.device != device_ || file.inode != inode_ || file.size < offset_) {
    path_ = path;
    device_ = file.device;
    inode_ = file.inode;
    offset_ = 0;
    count_ = 0;
  }

  std::vector<char> block(kReadBlockBytes);
  const auto stop = std::min(file.size, offset_ + budget_bytes_);
  while (offset_ < stop) {
    const auto wanted =
        static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), stop - offset_));
    const auto read = opened.file->read_at(offset_, std::span<char>(block.data(), wanted));
    if (!read.ok() || read.bytes == 0) {
      break;
    }
    count_ +=
        static_cast<std::uint64_t>(std::count(block.begin(), block.begin() + read.bytes, '\n'));
    offset_ += read.bytes;
  }

  return {{"count", count_},
          {"count_complete", offset_ >= file.size},
          {"size_bytes", file.size},
          {"newest_epoch_ms", newest_timestamp(path)}};
}

}  // namespace winebot::node

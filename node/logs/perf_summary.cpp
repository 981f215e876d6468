#include "node/logs/perf_summary.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>

#include "shared/jsonl/tail_reader.hpp"

namespace winebot::node {
namespace {

constexpr std::size_t kLinesPerRead = 4096;

struct MetricValues {
  std::size_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::vector<double> sample;
};

std::optional<double> numeric_value(const nlohmann::json& value) {
  if (value.is_number()) {
    return value.get<double>();
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size()) {
      return parsed;
    }
  }
  return std::nullopt;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

class Summary {
 public:
  explicit Summary(const PerfSummaryLimits& limits) : limits_(limits), random_(20261204) {}

  void add_line(const std::string& line) {
    ++lines_read_;
    const auto trimmed_line = trimmed(line);
    if (trimmed_line.empty()) {
      return;
    }
    const auto record = nlohmann::json::parse(trimmed_line, nullptr, false);
    if (record.is_discarded()) {
      ++parse_errors_;
      return;
    }
    if (!record.is_object() || record.value("event", "") != "performance_metric" ||
        !record.contains("metric") || !record["metric"].is_string() ||
        !record.contains("value_ms")) {
      return;
    }
    const auto name = trimmed(record["metric"].get<std::string>());
    const auto value = numeric_value(record["value_ms"]);
    if (name.empty() || !value || !std::isfinite(*value)) {
      return;
    }
    add_value(name, *value);
  }

  void add_skipped_lines(std::size_t count) {
    lines_read_ += count;
    parse_errors_ += count;
  }

  nlohmann::json to_json() {
    nlohmann::json metrics = nlohmann::json::object();
    for (auto& [name, values] : metrics_) {
      std::sort(values.sample.begin(), values.sample.end());
      nlohmann::json entry = {
          {"count", values.count},
          {"min_ms", round_to_3_decimals(values.min)},
          {"mean_ms", round_to_3_decimals(values.sum / static_cast<double>(values.count))},
          {"p50_ms", round_to_3_decimals(percentile(values.sample, 0.50))},
          {"p90_ms", round_to_3_decimals(percentile(values.sample, 0.90))},
          {"p95_ms", round_to_3_decimals(percentile(values.sample, 0.95))},
          {"p99_ms", round_to_3_decimals(percentile(values.sample, 0.99))},
          {"max_ms", round_to_3_decimals(values.max)}};
      if (values.sample.size() < values.count) {
        entry["sampled"] = true;
      }
      metrics[name] = std::move(entry);
    }
    nlohmann::json summary = {
        {"lines_read", lines_read_}, {"parse_errors", parse_errors_}, {"metrics", metrics}};
    if (metrics_dropped_ > 0) {
      summary["metrics_dropped"] = metrics_dropped_;
    }
    return summary;
  }

 private:
  void add_value(const std::string& name, double value) {
    auto it = metrics_.find(name);
    if (it == metrics_.end()) {
      if (metrics_.size() >= limits_.max_metrics) {
        ++metrics_dropped_;
        return;
      }
      it = metrics_.emplace(name, MetricValues{}).first;
    }
    auto& values = it->second;
    ++values.count;
    values.sum += value;
    values.min = std::min(values.min, value);
    values.max = std::max(values.max, value);
    if (values.sample.size() < limits_.max_values_per_metric) {
      values.sample.push_back(value);
      return;
    }
    // Reservoir sampling: keep each value seen so far with equal probability.
    std::uniform_int_distribution<std::size_t> slot(0, values.count - 1);
    const auto chosen = slot(random_);
    if (chosen < values.sample.size()) {
      values.sample[chosen] = value;
    }
  }

  PerfSummaryLimits limits_;
  std::mt19937_64 random_;
  std::map<std::string, MetricValues> metrics_;
  std::size_t lines_read_ = 0;
  std::size_t parse_errors_ = 0;
  std::size_t metrics_dropped_ = 0;
};

}  // namespace

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) {
    return 0;
  }
  const int previous_mode = std::fegetround();
  std::fesetround(FE_TONEAREST);
  const double position = std::nearbyint(static_cast<double>(sorted.size() - 1) * fraction);
  std::fesetround(previous_mode);
  const auto index =
      static_cast<std::size_t>(std::clamp(position, 0.0, static_cast<double>(sorted.size() - 1)));
  return sorted[index];
}

double round_to_3_decimals(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", value);
  return std::strtod(text, nullptr);
}

PerfSummaryResult summarize_perf_metrics(const std::filesystem::path& path,
                                         const PerfSummaryLimits& limits) {
  PerfSummaryResult result;
  auto opened = shared::ReadOnlyFile::open(path);
  if (!opened.ok() || !opened.file) {
    result.error = opened.ok() ? "file not found: " + path.string() : opened.error;
    return result;
  }
  const auto status = opened.file->status();
  if (!status.ok()) {
    result.error = status.error;
    return result;
  }

  Summary summary(limits);
  shared::LineReaderOptions options;
  options.max_scan_bytes = std::numeric_limits<std::uint64_t>::max();
  shared::ForwardPosition position;
  while (position.offset < status.status.size) {
    const auto read = shared::read_complete_lines(*opened.file, position, status.status.size,
                                                  kLinesPerRead, options);
    if (!read.ok()) {
      result.error = read.error;
      return result;
    }
    for (const auto& line : read.lines) {
      summary.add_line(line.text);
    }
    summary.add_skipped_lines(read.skipped_long_lines);
    if (read.next == position || read.file_shrank) {
      break;  // Only an unterminated last line remains, or the file was cut while reading.
    }
    position = read.next;
  }
  result.summary = summary.to_json();
  return result;
}

}  // namespace winebot::node

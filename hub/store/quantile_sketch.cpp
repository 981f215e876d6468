#include "hub/store/quantile_sketch.hpp"

#include <cmath>

namespace winebot::hub {
namespace {

constexpr std::uint8_t kFormatVersion = 1;
const double kGamma =
    (1 + QuantileSketch::kRelativeAccuracy) / (1 - QuantileSketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);

// Index range that keeps every finite double representable. Larger values clamp to the ends.
constexpr double kMaxIndex = 1e6;

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::optional<std::uint64_t> get_varint(std::string_view bytes, std::size_t& offset) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (offset >= bytes.size()) {
      return std::nullopt;
    }
    const auto byte = static_cast<std::uint8_t>(bytes[offset++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// The value a bucket stands for: the point whose relative error to both bucket ends is equal.
double bucket_value(std::int32_t index) {
  return 2 * std::pow(kGamma, index) / (kGamma + 1);
}

}  // namespace

void QuantileSketch::add(double value, std::uint64_t count) {
  if (count == 0 || std::isnan(value)) {
    return;
  }
  count_ += count;
  if (value <= kMinValue) {
    zero_count_ += count;
    return;
  }
  const double index = std::ceil(std::log(value) / kLogGamma);
  const double clamped = std::min(std::max(index, -kMaxIndex), kMaxIndex);
  buckets_[static_cast<std::int32_t>(clamped)] += count;
}

void QuantileSketch::merge(const QuantileSketch& other) {
  for (const auto& [index, count] : other.buckets_) {
    buckets_[index] += count;
  }
  zero_count_ += other.zero_count_;
  count_ += other.count_;
}

std::optional<double> QuantileSketch::quantile(double q) const {
  if (count_ == 0) {
    return std::nullopt;
  }
  q = std::min(std::max(q, 0.0), 1.0);
  // The nearest-rank method: the smallest value with at least q * count values at or below it,
  // counting ranks from 0.
  const auto nearest = std::ceil(q * static_cast<double>(count_));
  const auto rank = nearest < 1 ? std::uint64_t{0} : static_cast<std::uint64_t>(nearest) - 1;
  std::uint64_t seen = zero_count_;
  if (rank < seen) {
    return 0.0;
  }
  for (const auto& [index, count] : buckets_) {
    seen += count;
    if (rank < seen) {
      return bucket_value(index);
    }
  }
  return bucket_value(buckets_.rbegin()->first);
}

std::string QuantileSketch::serialize() const {
  std::string out;
  out.push_back(static_cast<char>(kFormatVersion));
  put_varint(out, zero_count_);
  std::int64_t previous = 0;
  for (const auto& [index, count] : buckets_) {
    put_varint(out, zigzag(index - previous));
    put_varint(out, count);
    previous = index;
  }
  return out;
}

std::optional<QuantileSketch> QuantileSketch::deserialize(std::string_view bytes) {
  if (bytes.empty() || static_cast<std::uint8_t>(bytes[0]) != kFormatVersion) {
    return std::nullopt;
  }
  std::size_t offset = 1;
  QuantileSketch sketch;
  const auto zero = get_varint(bytes, offset);
  if (!zero) {
    return std::nullopt;
  }
  sketch.zero_count_ = *zero;
  sketch.count_ = *zero;
  std::int64_t index = 0;
  while (offset < bytes.size()) {
    const auto delta = get_varint(bytes, offset);
    const auto count = get_varint(bytes, offset);
    if (!delta || !count) {
      return std::nullopt;
    }
    index += unzigzag(*delta);
    if (index < -kMaxIndex || index > kMaxIndex) {
      return std::nullopt;
    }
    sketch.buckets_[static_cast<std::int32_t>(index)] += *count;
    sketch.count_ += *count;
  }
  return sketch;
}

}  // namespace winebot::hub

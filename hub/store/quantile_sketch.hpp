#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace winebot::hub {

// A mergeable quantile sketch over non-negative values with logarithmic buckets, in the manner of
// DDSketch: bucket i contains the values in (gamma^(i-1), gamma^i], so any quantile it returns is
// within kRelativeAccuracy of a value that was added at that rank. Values at or below kMinValue
// share one zero bucket. Minute rollups merge into hour rollups, and node rollups into the fleet's,
// by adding bucket counts, with no loss beyond the bucket width.
class QuantileSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;
  static constexpr double kMinValue = 1e-3;

  void add(double value, std::uint64_t count = 1);
  void merge(const QuantileSketch& other);

  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Returns the value at quantile `q` in [0, 1] by the nearest-rank method, or nullopt when the
  // sketch is empty. The value is a bucket's midpoint, so it can lie just outside the values
  // added: RollupAggregate::quantile clamps it to the min and max.
  std::optional<double> quantile(double q) const;

  // Compact bytes for a BLOB column: a version byte, then varint pairs of bucket index
  // (zigzag, delta from the previous one) and count.
  std::string serialize() const;
  // Returns nullopt for bytes that `serialize` did not write.
  static std::optional<QuantileSketch> deserialize(std::string_view bytes);

  std::size_t bucket_count() const { return buckets_.size() + (zero_count_ > 0 ? 1 : 0); }

 private:
  std::map<std::int32_t, std::uint64_t> buckets_;
  std::uint64_t zero_count_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace winebot::hub

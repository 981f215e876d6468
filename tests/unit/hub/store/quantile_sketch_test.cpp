#include "hub/store/quantile_sketch.hpp"

#include <catch2/catch.hpp>

namespace winebot::hub {
namespace {

constexpr double kTolerance = QuantileSketch::kRelativeAccuracy;

TEST_CASE("QuantileSketch percentiles within relative accuracy", "[store][sketch]") {
  QuantileSketch sketch;
  for (int value = 1; value <= 10000; ++value) {
    sketch.add(value);
  }
  CHECK(sketch.count() == 10000);
  CHECK(*sketch.quantile(0.5) == Approx(5000).epsilon(kTolerance));
  CHECK(*sketch.quantile(0.9) == Approx(9000).epsilon(kTolerance));
  CHECK(*sketch.quantile(0.99) == Approx(9900).epsilon(kTolerance));
  CHECK(*sketch.quantile(0.0) == Approx(1).epsilon(kTolerance));
  CHECK(*sketch.quantile(1.0) == Approx(10000).epsilon(kTolerance));
}

TEST_CASE("QuantileSketch empty has no quantile", "[store][sketch]") {
  QuantileSketch sketch;
  CHECK(sketch.empty());
  CHECK_FALSE(sketch.quantile(0.5).has_value());
}

TEST_CASE("QuantileSketch zero values share one bucket", "[store][sketch]") {
  QuantileSketch sketch;
  sketch.add(0, 3);
  sketch.add(1e-6);
  sketch.add(100);
  CHECK(sketch.count() == 5);
  CHECK(*sketch.quantile(0.5) == 0.0);
  CHECK(*sketch.quantile(1.0) == Approx(100).epsilon(kTolerance));
  CHECK(sketch.bucket_count() == 2);
}

TEST_CASE("QuantileSketch merge equals one sketch of both", "[store][sketch]") {
  QuantileSketch low;
  QuantileSketch high;
  QuantileSketch both;
  for (int value = 1; value <= 500; ++value) {
    low.add(value);
    both.add(value);
  }
  for (int value = 501; value <= 1000; ++value) {
    high.add(value);
    both.add(value);
  }
  low.merge(high);
  CHECK(low.count() == both.count());
  for (const double q : {0.1, 0.5, 0.75, 0.99}) {
    CHECK(*low.quantile(q) == *both.quantile(q));
  }
}

TEST_CASE("QuantileSketch survives serialization", "[store][sketch]") {
  QuantileSketch sketch;
  sketch.add(0);
  for (const double value : {0.5, 3.0, 3.01, 250.0, 1e9}) {
    sketch.add(value, 7);
  }
  const auto restored = QuantileSketch::deserialize(sketch.serialize());
  REQUIRE(restored.has_value());
  CHECK(restored->count() == sketch.count());
  CHECK(restored->bucket_count() == sketch.bucket_count());
  for (const double q : {0.0, 0.2, 0.5, 0.9, 1.0}) {
    CHECK(*restored->quantile(q) == *sketch.quantile(q));
  }
}

TEST_CASE("QuantileSketch rejects foreign bytes", "[store][sketch]") {
  CHECK_FALSE(QuantileSketch::deserialize("").has_value());
  CHECK_FALSE(QuantileSketch::deserialize("\x02\x00").has_value());
  // A count whose varint never ends.
  CHECK_FALSE(QuantileSketch::deserialize(std::string("\x01\x00\x02\xff", 4)).has_value());
}

}  // namespace
}  // namespace winebot::hub

#include "shared/metrics/prometheus_text.hpp"

#include <catch2/catch.hpp>
#include <limits>

namespace winebot::shared {
namespace {

TEST_CASE("PrometheusText writes help, type and samples", "[metrics]") {
  PrometheusText page;
  page.counter("winebot_polls_total", "Probes sent.", 42);
  page.family("winebot_nodes", "gauge", "Nodes by state.");
  page.sample(3, {{"state", "online"}});
  page.sample(0.25, {{"state", "offline"}, {"a", "b"}});

  CHECK(page.text() ==
        "# HELP winebot_polls_total Probes sent.\n"
        "# TYPE winebot_polls_total counter\n"
        "winebot_polls_total 42\n"
        "# HELP winebot_nodes Nodes by state.\n"
        "# TYPE winebot_nodes gauge\n"
        "winebot_nodes{state=\"online\"} 3\n"
        "winebot_nodes{a=\"b\",state=\"offline\"} 0.25\n");
}

TEST_CASE("PrometheusText escapes label values", "[metrics]") {
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  PrometheusText page;
  page.family("m", "gauge", "line one\nline two");
  page.sample(1, {{"name", "say \"hi\""}});
  CHECK(page.text() ==
        "# HELP m line one line two\n# TYPE m gauge\nm{name=\"say \\\"hi\\\"\"} 1\n");
}

TEST_CASE("PrometheusText spells special values", "[metrics]") {
  PrometheusText page;
  page.family("m", "gauge", "h");
  page.sample(std::numeric_limits<double>::quiet_NaN());
  page.sample(std::numeric_limits<double>::infinity());
  page.sample(-std::numeric_limits<double>::infinity());
  page.sample(1e20);
  CHECK(page.text() == "# HELP m h\n# TYPE m gauge\nm NaN\nm +Inf\nm -Inf\nm 1e+20\n");
}

}  // namespace
}  // namespace winebot::shared

#pragma once

#include <map>
#include <sstream>
#include <string>
#include <string_view>

namespace winebot::shared {

// Builds a page in the Prometheus text exposition format (version 0.0.4): for each metric family
// one `# HELP` and one `# TYPE` line, then its samples. Label values are escaped as the format
// requires (backslash, double quote and line feed). Names are not checked: callers pass
// constant, valid names.
class PrometheusText {
 public:
  using Labels = std::map<std::string, std::string>;

  // Starts a family; every sample added until the next family belongs to it.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // Adds one sample of the current family.
  void sample(double value, const Labels& labels = {});

  // Shorthands for a family with one unlabelled sample.
  void counter(std::string_view name, std::string_view help, double value);
  void gauge(std::string_view name, std::string_view help, double value);

  std::string text() const { return out_.str(); }

 private:
  std::string name_;
  std::ostringstream out_;
};

// Escapes a label value: `\` as `\\`, `"` as `\"` and a line feed as `\n`.
std::string escape_label_value(std::string_view value);

// The Content-Type of the text format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace winebot::shared

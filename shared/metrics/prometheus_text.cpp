#include "shared/metrics/prometheus_text.hpp"

#include <cmath>
#include <iomanip>

namespace winebot::shared {
namespace {

// Whole numbers print without a fraction; NaN and the infinities use the spellings the text
// format defines.
void write_value(std::ostringstream& out, double value) {
  if (std::isnan(value)) {
    out << "NaN";
  } else if (std::isinf(value)) {
    out << (value > 0 ? "+Inf" : "-Inf");
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    out << static_cast<long long>(value);
  } else {
    out << std::setprecision(15) << value;
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char character : value) {
    if (character == '\\') {
      escaped += "\\\\";
    } else if (character == '"') {
      escaped += "\\\"";
    } else if (character == '\n') {
      escaped += "\\n";
    } else {
      escaped += character;
    }
  }
  return escaped;
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  name_ = name;
  std::string one_line_help(help);
  for (auto& character : one_line_help) {
    character = character == '\n' ? ' ' : character;
  }
  out_ << "# HELP " << name << ' ' << one_line_help << "\n# TYPE " << name << ' ' << type << '\n';
}

void PrometheusText::sample(double value, const Labels& labels) {
  out_ << name_;
  if (!labels.empty()) {
    out_ << '{';
    bool first = true;
    for (const auto& [key, label_value] : labels) {
      out_ << (first ? "" : ",") << key << "=\"" << escape_label_value(label_value) << '"';
      first = false;
    }
    out_ << '}';
  }
  out_ << ' ';
  write_value(out_, value);
  out_ << '\n';
}

void PrometheusText::counter(std::string_view name, std::string_view help, double value) {
  family(name, "counter", help);
  sample(value);
}

void PrometheusText::gauge(std::string_view name, std::string_view help, double value) {
  family(name, "gauge", help);
  sample(value);
}

}  // namespace winebot::shared

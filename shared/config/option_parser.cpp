#include "shared/config/option_parser.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace winebot::shared {
namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    item = trim(item);
    if (!item.empty()) {
      items.push_back(item);
    }
  }
  return items;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

std::optional<long long> parse_integer(const std::string& text) {
  const std::string trimmed = trim(text);
  if (trimmed.empty()) {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(trimmed.c_str(), &end, 10);
  if (errno == ERANGE || end != trimmed.c_str() + trimmed.size()) {
    return std::nullopt;
  }
  return value;
}

const std::string& ParsedOptions::text(const std::string& name) const {
  static const std::string kEmpty;
  const auto it = entries_.find(name);
  if (it == entries_.end() || it->second.values.empty()) {
    return kEmpty;
  }
  return it->second.values.back();
}

const std::vector<std::string>& ParsedOptions::all(const std::string& name) const {
  static const std::vector<std::string> kNone;
  const auto it = entries_.find(name);
  return it == entries_.end() ? kNone : it->second.values;
}

bool ParsedOptions::is_set(const std::string& name) const {
  const auto it = entries_.find(name);
  return it != entries_.end() && !it->second.origin.empty();
}

std::string ParsedOptions::origin(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end() || it->second.origin.empty()) {
    return "--" + name;
  }
  return it->second.origin;
}

long long ParsedOptions::integer(const std::string& name, long long min, long long max) const {
  const std::string& value = text(name);
  const auto parsed = parse_integer(value);
  if (!parsed || *parsed < min || *parsed > max) {
    throw ConfigError("Configuration validation failed: " + origin(name) +
                      " must be an integer from " + std::to_string(min) + " to " +
                      std::to_string(max) + " (got '" + value + "')");
  }
  return *parsed;
}

double ParsedOptions::number(const std::string& name, double min, double max) const {
  const std::string& value = text(name);
  const std::string trimmed = trim(value);
  char* end = nullptr;
  errno = 0;
  const double parsed = trimmed.empty() ? NAN : std::strtod(trimmed.c_str(), &end);
  const bool whole = !trimmed.empty() && end == trimmed.c_str() + trimmed.size();
  if (!whole || errno == ERANGE || !std::isfinite(parsed) || parsed < min || parsed > max) {
    std::ostringstream message;
    message << "Configuration validation failed: " << origin(name) << " must be a number from "
            << min << " to " << max << " (got '" << value << "')";
    throw ConfigError(message.str());
  }
  return parsed;
}

OptionParser::OptionParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void OptionParser::add(OptionSpec spec) {
  specs_.push_back(std::move(spec));
}

const OptionSpec* OptionParser::find(const std::string& name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

ParsedOptions OptionParser::parse(int argc, const char* const* argv, const EnvLookup& env) const {
  ParsedOptions parsed;

  for (int index = 1; index < argc; ++index) {
    std::string argument = argv[index];
    if (argument == "--help" || argument == "-h") {
      parsed.help_requested_ = true;
      continue;
    }
    if (argument == "--version") {
      parsed.version_requested_ = true;
      continue;
    }
    if (argument.rfind("--", 0) != 0) {
      throw ConfigError("unexpected argument '" + argument + "'; run " + program_ +
                        " --help for the options");
    }

    std::string name = argument.substr(2);
    std::optional<std::string> value;
    if (const auto equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    const OptionSpec* spec = find(name);
    if (spec == nullptr) {
      throw ConfigError("unknown option --" + name + "; run " + program_ +
                        " --help for the options");
    }
    if (!value) {
      if (index + 1 >= argc) {
        throw ConfigError("option --" + name + " needs a value (" + spec->value_name + ")");
      }
      value = argv[++index];
    }

    auto& entry = parsed.entries_[name];
    if (!spec->repeatable) {
      entry.values.clear();
    }
    entry.values.push_back(*value);
    entry.origin = "--" + name;
  }

  for (const auto& spec : specs_) {
    auto& entry = parsed.entries_[spec.name];
    if (!entry.origin.empty()) {
      continue;
    }
    const auto from_env = spec.env.empty() ? std::nullopt : env(spec.env);
    if (from_env && !trim(*from_env).empty()) {
      entry.values = spec.repeatable ? split_list(*from_env) : std::vector{trim(*from_env)};
      entry.origin = spec.env;
    } else if (!spec.default_value.empty()) {
      entry.values =
          spec.repeatable ? split_list(spec.default_value) : std::vector{spec.default_value};
    }
  }
  return parsed;
}

std::string OptionParser::help_text() const {
  std::ostringstream out;
  out << "Usage: " << program_ << " [OPTIONS]\n\n" << summary_ << "\n\nOptions:\n";
  for (const auto& spec : specs_) {
    out << "  --" << spec.name << ' ' << spec.value_name << "\n      " << spec.help;
    if (spec.repeatable) {
      out << " Repeatable.";
    }
    if (!spec.default_value.empty()) {
      out << " Default: " << spec.default_value << '.';
    }
    if (!spec.env.empty()) {
      out << " Environment: " << spec.env << '.';
    }
    out << '\n';
  }
  out << "  --help\n      Print this help and exit.\n"
      << "  --version\n      Print the version and exit.\n"
      << "\nA flag wins over its environment variable.\n";
  return out.str();
}

std::optional<std::string> environment_value(const EnvLookup& env, const std::string& name) {
  const auto value = env(name);
  if (!value || trim(*value).empty()) {
    return std::nullopt;
  }
  return trim(*value);
}

}  // namespace winebot::shared

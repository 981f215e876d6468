#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace winebot::shared {

// A start-up configuration error. `what()` is one sentence naming the flag or environment
// variable and what its value must be; `main` prints it and exits with status 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads one environment variable; returns nullopt when it is unset. Injected so tests need not
// touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// One command-line option `--NAME VALUE` (or `--NAME=VALUE`), optionally backed by an
// environment variable that applies when the flag is absent.
struct OptionSpec {
  std::string name;           // Without the leading dashes.
  std::string value_name;     // Shown in --help, e.g. "HOST:PORT".
  std::string default_value;  // Used when neither the flag nor the variable is set.
  std::string env;            // Empty when no variable backs the option.
  std::string help;
  bool repeatable = false;
};

// Values of the options after parsing, with where each came from, and typed accessors that throw
// ConfigError naming the flag or variable on invalid input.
class ParsedOptions {
 public:
  bool help_requested() const { return help_requested_; }
  bool version_requested() const { return version_requested_; }

  // The value given by flag or environment, else the default.
  const std::string& text(const std::string& name) const;
  // Every value of a repeatable option, in command-line order; the environment variable, when
  // set, contributes comma-separated items only if no flag was given.
  const std::vector<std::string>& all(const std::string& name) const;
  // True when the value came from a flag or the environment rather than the default.
  bool is_set(const std::string& name) const;
  // "--name" or the variable name: the source to name in error messages.
  std::string origin(const std::string& name) const;

  long long integer(const std::string& name, long long min, long long max) const;
  double number(const std::string& name, double min, double max) const;

 private:
  friend class OptionParser;
  struct Entry {
    std::vector<std::string> values;
    std::string origin;  // Empty for the default.
  };
  std::map<std::string, Entry> entries_;
  bool help_requested_ = false;
  bool version_requested_ = false;
};

// Table-driven parser for the flags of one program. `--help` and `--version` are built in.
class OptionParser {
 public:
  OptionParser(std::string program, std::string summary);

  void add(OptionSpec spec);
  ParsedOptions parse(int argc, const char* const* argv, const EnvLookup& env) const;
  std::string help_text() const;

 private:
  const OptionSpec* find(const std::string& name) const;

  std::string program_;
  std::string summary_;
  std::vector<OptionSpec> specs_;
};

// Parses a whole decimal integer (optional sign, surrounding blanks ignored). Returns nullopt for
// anything else, including "5.0", "", and values outside long long.
std::optional<long long> parse_integer(const std::string& text);

// Returns the value of the environment variable `name` without surrounding blanks, or nullopt
// when it is unset or blank (which settings read as "use the default").
std::optional<std::string> environment_value(const EnvLookup& env, const std::string& name);

}  // namespace winebot::shared

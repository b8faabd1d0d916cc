// Command-line parsing for fallback-config: "--name value", "--name=value",
// boolean flags, and positional arguments, in any order after the command.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fc::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // option name without dashes -> value
  std::set<std::string> flags;                // boolean options given
  bool has(const std::string &name) const { return values.count(name) || flags.count(name); }
  std::string value(const std::string &name, const std::string &fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
};

struct OptionSpec {
  std::set<std::string> with_value;  // e.g. "storage"; "-o" is spelled "o"
  std::set<std::string> boolean;     // e.g. "s3", "help"
};

// Throws UsageError naming the option at fault.
Args parse_args(int argc, char **argv, const OptionSpec &spec);

}  // namespace fc::cli

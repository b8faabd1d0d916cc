#include "args.h"

#include <cstring>

namespace fc::cli {

Args parse_args(int argc, char **argv, const OptionSpec &spec) {
  Args args;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg == "-" || arg.empty() || arg[0] != '-') {
      if (args.command.empty() && !only_positional) args.command = arg;
      else args.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool inline_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (name == "h") name = "help";
    if (spec.boolean.count(name)) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      args.flags.insert(name);
    } else if (spec.with_value.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw UsageError("option " + arg + " needs a value");
        value = argv[++i];
      }
      args.values[name] = value;
    } else {
      throw UsageError("unknown option " + arg.substr(0, arg.find('=')));
    }
  }
  return args;
}

}  // namespace fc::cli

// The fallback-config subcommands. Each returns the process exit status:
// 0 success, 1 failure, 2 bad usage or invalid input, 3 no configuration found.
#pragma once

#include <string>

#include "args.h"

namespace fc::cli {

enum ExitCode { kOk = 0, kFailure = 1, kUsage = 2, kNotFound = 3 };

struct Command {
  const char *name;
  const char *synopsis;  // one line for the command list
  const char *help;      // the full --help text
  int (*run)(const Args &args);
};

const Command *find_command(const std::string &name);
const Command *commands_begin();
const Command *commands_end();

}  // namespace fc::cli

// fallback-config: the operator CLI. Seeds, checks and repairs fallback
// configurations without a gateway, through the same library the plugin uses.
#include <iostream>
#include <string>

#include "args.h"
#include "commands.h"
#include "fallback_config.h"
#include "setting_flags.h"

namespace {

void print_usage(std::ostream &out) {
  out << "Usage: fallback-config [options] <command> [arguments]\n\n"
         "Pushes, pulls and inspects Kong fallback configurations in S3, S3-compatible\n"
         "storage, Google Cloud Storage or a directory, with Kong's environment variables.\n\nCommands:\n";
  for (auto *c = fc::cli::commands_begin(); c != fc::cli::commands_end(); ++c)
    out << "  " << c->name << std::string(10 - std::string(c->name).size(), ' ') << c->synopsis << "\n";
  out << "\n" << fc::cli::setting_flags_help() << "\n" << fc::cli::environment_help()
      << "\nRun 'fallback-config <command> --help' for a command's options, and\n"
         "'fallback-config settings' for every setting's value and where it came from.\n"
         "Exit status: 0 success, 1 failure, 2 invalid usage or input, 3 no configuration found.\n";
}

}  // namespace

int main(int argc, char **argv) {
  fc::cli::OptionSpec spec;
  // Command options; the settings' flags come from the library's table.
  spec.with_value = {"kong-version", "if-generation-match", "o", "output", "service", "time", "show"};
  for (const std::string &flag : fc::cli::setting_flags()) spec.with_value.insert(flag);
  spec.boolean = {"help", "s3", "no-normalize", "version", "release", "probe"};
  fc::cli::Args args;
  try {
    args = fc::cli::parse_args(argc, argv, spec);
  } catch (const fc::cli::UsageError &e) {
    std::cerr << "fallback-config: error: " << e.what() << " (see --help)\n";
    return fc::cli::kUsage;
  }
  if (args.values.count("output")) args.values["o"] = args.values["output"];
  if (args.command.empty()) {
    if (args.has("version")) {
      std::cout << "fallback-config " << fc_version() << "\n";
      return fc::cli::kOk;
    }
    print_usage(args.has("help") ? std::cout : std::cerr);
    return args.has("help") ? fc::cli::kOk : fc::cli::kUsage;
  }
  const fc::cli::Command *command = fc::cli::find_command(args.command);
  if (!command) {
    std::cerr << "fallback-config: error: unknown command '" << args.command << "' (see --help)\n";
    return fc::cli::kUsage;
  }
  if (args.has("help")) {
    std::cout << command->help << "\n" << fc::cli::setting_flags_help();
    return fc::cli::kOk;
  }
  return command->run(args);
}

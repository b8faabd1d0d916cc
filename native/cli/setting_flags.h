// The CLI's side of the library's table of settings: its flags, the settings
// they and the environment make, and the help that describes them.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "args.h"
#include "fallback_config.h"

namespace fc::cli {

struct SettingsDeleter {
  void operator()(fc_settings *s) const { fc_settings_free(s); }
};
using SettingsPtr = std::unique_ptr<fc_settings, SettingsDeleter>;

// A failed library call: its status picks the exit code, its message is printed.
struct Failure {
  int status;
  std::string message;
};

// Throws Failure when status is not FC_OK.
void check(int status, const char *errbuf);

// The flags (without "--") the table gives settings.
std::set<std::string> setting_flags();
// The table's row of a setting, by name; nullptr when there is none.
const fc_setting_info *setting_info(const std::string &name);
// "--flag" when the setting has one, else its first variable, for messages.
std::string flag_or_variable(const fc_setting_info &info);

// The environment first, then the flags on top of it (errors name the flag).
SettingsPtr load_settings(const Args &args);

// The help for the settings flags, and the settings read from the
// environment only; both generated from the table.
std::string setting_flags_help();
std::string environment_help();

}  // namespace fc::cli

// A set of setting values, each parsed and checked as the table says when it
// is set, with where it came from. Values come from the environment
// (precedence between a setting's variables kept whatever the order of the
// calls), from callers (the CLI's flags, the plugin's config), or are the
// table's defaults.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "auth/aws_credentials.h"
#include "http/retry.h"
#include "http/transport.h"
#include "settings/setting_table.h"
#include "settings/setting_value.h"

namespace fc {

class Settings {
 public:
  // By name. An empty value unsets the setting. Errors name `source` (a CLI
  // flag, a plugin config field), or the setting's name when it is empty.
  // Throws fc::Error(FC_EINVAL) for an unknown name or a bad value.
  void set(std::string_view name, std::string_view value, std::string_view source = {});
  // From an environment variable of the table; an empty value is ignored.
  void set_env(std::string_view variable, std::string_view value);
  // set_env for every variable of the table this process's environment has.
  void load_env();

  bool is_set(SettingId id) const;
  // The value, else the default; "" / 0 / false when it has neither.
  const std::string &text(SettingId id) const;
  long long number(SettingId id) const;  // SECONDS: milliseconds
  bool on(SettingId id) const;
  // Where the value came from: a variable, a caller's source, the name; "" for a default.
  const std::string &source(SettingId id) const;
  // How messages name the setting: its source, else its first variable, else its name.
  std::string label(SettingId id) const;
  // Throws FC_EINVAL "<name> is not set (<variables>)" unless it is set.
  void require(SettingId id, std::string_view expected) const;

  // The credentials the environment settings hold (both halves, or none).
  AwsCredentials aws_environment_credentials() const;
  http::Options transport_options() const;
  http::RetryPolicy retry_policy() const;

 private:
  static constexpr int kExplicit = -1;  // set by a caller: no variable replaces it
  struct Slot {
    bool set = false;
    SettingValue value;
    std::string source;
    int rank = kExplicit;  // else the rank of the variable that set it
  };
  const Slot &slot(SettingId id) const { return slots_[static_cast<size_t>(id)]; }
  void store(const SettingSpec &spec, std::string_view value, std::string source, int rank);

  std::array<Slot, kSettingCount> slots_;
};

}  // namespace fc

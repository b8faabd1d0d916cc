// A setting's value parsed by its kind (fc_setting_kind) and its row's own
// check: what every caller, the CLI and the plugin alike, accepts or refuses.
#pragma once

#include <string>
#include <string_view>

#include "settings/setting_table.h"

namespace fc {

struct SettingValue {
  std::string text;   // canonical: "on", "2.5", the text as given
  long long number = 0;  // SECONDS: milliseconds; INTEGER: the number
  bool on = false;    // ON_OFF and AWS_BOOLEAN
};

// Throws fc::Error(FC_EINVAL) with one line that starts with `label` (where
// the value came from) and never repeats a secret value.
SettingValue parse_setting_value(const SettingSpec &spec, std::string_view value, const std::string &label);

}  // namespace fc

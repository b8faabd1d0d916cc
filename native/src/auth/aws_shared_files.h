// The AWS shared files, ~/.aws/credentials and ~/.aws/config, as the SDKs read
// them: INI sections ("[name]" in credentials, "[profile name]" or "[default]"
// in config), "key = value" lines, comments after # or ;.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fc::aws {

using IniSection = std::map<std::string, std::string>;

// Sections by name; for the config file, "profile " is dropped from the names.
std::map<std::string, IniSection> parse_ini(std::string_view text, bool config_file);

struct SharedProfile {
  std::string access_key_id, secret_access_key, session_token, region;
};

// The profile from both files (credentials win over config for keys). nullopt
// when neither file has the profile; `why` then says what was looked at.
std::optional<SharedProfile> load_shared_profile(const std::string &credentials_file, const std::string &config_file,
                                                 const std::string &profile, std::string *why);

}  // namespace fc::aws

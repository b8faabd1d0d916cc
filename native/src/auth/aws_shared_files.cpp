#include "auth/aws_shared_files.h"


#include "util/fd_io.h"
#include "util/strings.h"

namespace fc::aws {

std::map<std::string, IniSection> parse_ini(std::string_view text, bool config_file) {
  std::map<std::string, IniSection> sections;
  IniSection *current = nullptr;
  for (const std::string &raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      std::string name(trim(line.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1)));
      if (config_file && starts_with(name, "profile ")) name = std::string(trim(name.substr(8)));
      current = &sections[name];
      continue;
    }
    size_t eq = line.find('=');
    if (!current || eq == std::string_view::npos) continue;  // a nested block or noise: ignored, as the SDKs do
    std::string key = to_lower(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    // An inline comment needs whitespace before it.
    for (size_t i = 1; i < value.size(); ++i)
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = trim(value.substr(0, i));
        break;
      }
    (*current)[key] = std::string(value);
  }
  return sections;
}

namespace {

std::string value_of(const IniSection &s, const char *key) {
  auto it = s.find(key);
  return it == s.end() ? std::string() : it->second;
}

}  // namespace

std::optional<SharedProfile> load_shared_profile(const std::string &credentials_file, const std::string &config_file,
                                                 const std::string &profile, std::string *why) {
  SharedProfile out;
  bool found = false;
  std::optional<std::string> config = read_small_file(config_file);
  if (config) {
    auto sections = parse_ini(*config, true);
    auto it = sections.find(profile);
    if (it != sections.end()) {
      found = true;
      out.region = value_of(it->second, "region");
      out.access_key_id = value_of(it->second, "aws_access_key_id");
      out.secret_access_key = value_of(it->second, "aws_secret_access_key");
      out.session_token = value_of(it->second, "aws_session_token");
    }
  }
  std::optional<std::string> creds = read_small_file(credentials_file);
  if (creds) {
    auto sections = parse_ini(*creds, false);
    auto it = sections.find(profile);
    if (it != sections.end()) {
      found = true;
      std::string id = value_of(it->second, "aws_access_key_id");
      if (!id.empty()) {
        out.access_key_id = id;
        out.secret_access_key = value_of(it->second, "aws_secret_access_key");
        out.session_token = value_of(it->second, "aws_session_token");
      }
    }
  }
  if (!found) {
    if (why)
      *why = "no profile '" + profile + "' in " + credentials_file + (creds ? "" : " (not readable)") + " or " +
             config_file + (config ? "" : " (not readable)");
    return std::nullopt;
  }
  return out;
}

}  // namespace fc::aws

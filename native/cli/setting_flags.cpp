#include "setting_flags.h"

#include <unistd.h>

#include <sstream>
#include <vector>

namespace fc::cli {

namespace {

constexpr size_t kWidth = 100, kIndent = 30;

template <typename Fn>
void for_each_setting(Fn fn) {
  for (size_t i = 0; const fc_setting_info *info = fc_setting_info_at(i); ++i) fn(*info);
}

std::string hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string variables_of(const fc_setting_info &info) {
  std::string out;
  for (size_t v = 0; v < FC_SETTING_MAX_VARIABLES && info.variables[v]; ++v)
    out += std::string(out.empty() ? "" : ", then ") + info.variables[v];
  return out;
}

// "  <term>  <text>", the text wrapped at kWidth and indented under itself.
void append_entry(std::string &out, const std::string &term, const std::string &text) {
  std::string line = "  " + term;
  line += line.size() + 2 <= kIndent ? std::string(kIndent - line.size(), ' ') : "\n" + std::string(kIndent, ' ');
  size_t column = line.size() - (line.rfind('\n') == std::string::npos ? 0 : line.rfind('\n') + 1);
  std::istringstream words(text);
  std::string word;
  bool first = true;
  while (words >> word) {
    if (!first && column + 1 + word.size() > kWidth) {
      line += "\n" + std::string(kIndent, ' ');
      column = kIndent;
      first = true;
    }
    if (!first) {
      line += ' ';
      ++column;
    }
    line += word;
    column += word.size();
    first = false;
  }
  out += line + "\n";
}

std::string described(const fc_setting_info &info) {
  std::string text = info.help;
  if (info.default_value) text += "; default " + std::string(info.default_value);
  return text;
}

}  // namespace

void check(int status, const char *errbuf) {
  if (status != FC_OK) throw Failure{status, errbuf};
}

std::set<std::string> setting_flags() {
  std::set<std::string> out;
  for_each_setting([&](const fc_setting_info &info) {
    if (info.flag) out.insert(info.flag);
  });
  return out;
}

const fc_setting_info *setting_info(const std::string &name) {
  const fc_setting_info *found = nullptr;
  for_each_setting([&](const fc_setting_info &info) {
    if (name == info.name) found = &info;
  });
  return found;
}

std::string flag_or_variable(const fc_setting_info &info) {
  if (info.flag) return "--" + std::string(info.flag);
  return info.variables[0] ? info.variables[0] : info.name;
}

SettingsPtr load_settings(const Args &args) {
  SettingsPtr settings(fc_settings_new());
  if (!settings) throw Failure{FC_EINTERNAL, "out of memory"};
  char err[FC_ERRBUF_LEN];
  check(fc_settings_load_env(settings.get(), err, sizeof err), err);
  if (!args.values.count("uploader"))
    check(fc_settings_set(settings.get(), "uploader", ("fallback-config-cli@" + hostname()).c_str(), err, sizeof err),
          err);
  for_each_setting([&](const fc_setting_info &info) {
    if (!info.flag || !args.values.count(info.flag)) return;
    std::string source = "--" + std::string(info.flag);
    check(fc_settings_set_from(settings.get(), info.name, args.value(info.flag).c_str(), source.c_str(), err,
                               sizeof err),
          err);
  });
  return settings;
}

std::string setting_flags_help() {
  std::string out = "Settings (each flag wins over its environment variable):\n";
  for_each_setting([&](const fc_setting_info &info) {
    if (!info.flag) return;
    std::string text = described(info);
    std::string variables = variables_of(info);
    if (!variables.empty()) text += "; " + variables;
    append_entry(out, "--" + std::string(info.flag) + " " + info.value_name, text);
  });
  return out;
}

std::string environment_help() {
  std::string out = "Read from the environment only:\n";
  for_each_setting([&](const fc_setting_info &info) {
    if (info.flag || info.plugin_only || !info.variables[0]) return;
    std::string term = info.variables[0];
    for (size_t v = 1; v < FC_SETTING_MAX_VARIABLES && info.variables[v]; ++v) term += ", " + std::string(info.variables[v]);
    append_entry(out, term, described(info));
  });
  return out;
}

}  // namespace fc::cli

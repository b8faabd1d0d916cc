#include "settings/settings.h"

#include <cstdlib>

#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

const std::string kEmpty;

// The table's defaults, parsed once (a default that does not parse is a bug
// the unit tests catch).
const std::array<SettingValue, kSettingCount> &defaults() {
  static const std::array<SettingValue, kSettingCount> parsed = [] {
    std::array<SettingValue, kSettingCount> out{};
    for (size_t i = 0; i < kSettingCount; ++i) {
      const SettingSpec &spec = *setting_at(i);
      if (spec.info.default_value) out[i] = parse_setting_value(spec, spec.info.default_value, spec.info.name);
    }
    return out;
  }();
  return parsed;
}

const SettingValue &default_of(SettingId id) { return defaults()[static_cast<size_t>(id)]; }

std::string variables_of(const SettingSpec &spec) {
  std::string out;
  for (size_t i = 0; i < FC_SETTING_MAX_VARIABLES && spec.info.variables[i]; ++i)
    out += std::string(out.empty() ? "" : ", ") + spec.info.variables[i];
  return out;
}

}  // namespace

void Settings::store(const SettingSpec &spec, std::string_view value, std::string source, int rank) {
  Slot next;
  next.value = parse_setting_value(spec, value, source);
  next.set = true;
  next.source = std::move(source);
  next.rank = rank;
  slots_[static_cast<size_t>(spec.id)] = std::move(next);
}

void Settings::set(std::string_view name, std::string_view value, std::string_view source) {
  const SettingSpec *spec = find_setting(name);
  if (!spec) fail(FC_EINVAL, "unknown setting '" + one_line(name.substr(0, 64)) + "'");
  if (value.empty()) {
    slots_[static_cast<size_t>(spec->id)] = Slot{};
    return;
  }
  store(*spec, value, std::string(source.empty() ? name : source), kExplicit);
}

void Settings::set_env(std::string_view variable, std::string_view value) {
  size_t rank = 0;
  const SettingSpec *spec = find_setting_by_variable(variable, &rank);
  if (!spec) fail(FC_EINVAL, "'" + one_line(variable.substr(0, 64)) + "' is not a variable of any setting");
  if (value.empty()) return;  // as unset, like Kong
  const Slot &current = slot(spec->id);
  // Checked even when it loses, so that the result never depends on the order
  // in which variables are handed over.
  SettingValue checked = parse_setting_value(*spec, value, std::string(variable));
  if (current.set && (current.rank == kExplicit || current.rank < static_cast<int>(rank))) return;
  Slot next;
  next.value = std::move(checked);
  next.set = true;
  next.source = std::string(variable);
  next.rank = static_cast<int>(rank);
  slots_[static_cast<size_t>(spec->id)] = std::move(next);
}

void Settings::load_env() {
  for (size_t i = 0; i < kSettingCount; ++i) {
    const fc_setting_info &info = setting_at(i)->info;
    for (size_t v = 0; v < FC_SETTING_MAX_VARIABLES && info.variables[v]; ++v)
      if (const char *value = std::getenv(info.variables[v])) set_env(info.variables[v], value);
  }
}

bool Settings::is_set(SettingId id) const { return slot(id).set; }

const std::string &Settings::text(SettingId id) const { return is_set(id) ? slot(id).value.text : default_of(id).text; }

long long Settings::number(SettingId id) const { return is_set(id) ? slot(id).value.number : default_of(id).number; }

bool Settings::on(SettingId id) const { return is_set(id) ? slot(id).value.on : default_of(id).on; }

const std::string &Settings::source(SettingId id) const { return is_set(id) ? slot(id).source : kEmpty; }

std::string Settings::label(SettingId id) const {
  if (is_set(id)) return slot(id).source;
  const fc_setting_info &info = setting_spec(id).info;
  return info.variables[0] ? info.variables[0] : info.name;
}

void Settings::require(SettingId id, std::string_view expected) const {
  if (is_set(id)) return;
  const SettingSpec &spec = setting_spec(id);
  std::string variables = variables_of(spec);
  fail(FC_EINVAL, std::string(spec.info.name) + " is not set" + (variables.empty() ? "" : " (" + variables + ")") +
                      (expected.empty() ? "" : ": expected " + std::string(expected)));
}

AwsCredentials Settings::aws_environment_credentials() const {
  AwsCredentials out{text(SettingId::AccessKeyId), text(SettingId::SecretAccessKey), text(SettingId::SessionToken)};
  // Half a key pair is a mistake to report, not a reason to look elsewhere.
  if (out.access_key_id.empty() != out.secret_access_key.empty()) {
    SettingId given = out.access_key_id.empty() ? SettingId::SecretAccessKey : SettingId::AccessKeyId;
    SettingId missing = out.access_key_id.empty() ? SettingId::AccessKeyId : SettingId::SecretAccessKey;
    fail(FC_EINVAL, label(given) + " is set but " + label(missing) + " is not");
  }
  return out;
}

http::Options Settings::transport_options() const {
  return http::Options{static_cast<long>(number(SettingId::ConnectTimeout)),
                       static_cast<long>(number(SettingId::StallTimeout)), text(SettingId::CaBundle),
                       on(SettingId::TlsVerify)};
}

http::RetryPolicy Settings::retry_policy() const {
  http::RetryPolicy policy;
  policy.max_attempts = static_cast<int>(number(SettingId::RetryAttempts));
  policy.deadline_ms = number(SettingId::RetryDeadline);
  return policy;
}

}  // namespace fc

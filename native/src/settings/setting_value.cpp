#include "settings/setting_value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "http/url.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

constexpr size_t kMaxLine = 4096;        // a path, a URL, a name
constexpr size_t kMaxJson = 1024 * 1024;  // a service-account key is a few KB

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The value for a message: one line, short, never a secret.
std::string shown(const SettingSpec &spec, std::string_view value) {
  if (spec.info.secret) return "(secret)";
  std::string v = one_line(value.substr(0, 64));
  if (value.size() > 64) v += "...";
  return "'" + v + "'";
}

std::string format_limit(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f" : "%g", v);
  return buf;
}

// Milliseconds as the shortest decimal number of seconds: 60000 -> "60", 2500 -> "2.5".
std::string format_seconds(long long ms) {
  std::string out = std::to_string(ms / 1000);
  if (ms % 1000 == 0) return out;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03lld", ms % 1000);
  std::string f = frac;
  while (f.back() == '0') f.pop_back();
  return out + f;
}

void check_one_line(const SettingSpec &spec, std::string_view value, const std::string &label) {
  if (value.size() > kMaxLine) fail(FC_EINVAL, label + " is longer than " + std::to_string(kMaxLine) + " bytes");
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail(FC_EINVAL, label + " must be one line without control characters" +
                          (spec.info.secret ? std::string() : ", got " + shown(spec, value)));
}

// Digits with an optional fraction, nothing else: no sign, exponent, spaces or unit.
bool is_decimal(std::string_view v) {
  size_t i = 0, digits = 0;
  while (i < v.size() && is_digit(v[i])) ++i, ++digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && is_digit(v[i])) ++i, ++digits;
  }
  return i == v.size() && digits > 0;
}

SettingValue parse_seconds(const SettingSpec &spec, std::string_view value, const std::string &label) {
  double seconds = 0;
  bool ok = is_decimal(value) && value.size() <= 32 &&
            std::from_chars(value.data(), value.data() + value.size(), seconds).ec == std::errc();
  if (!ok || seconds < spec.info.min || seconds > spec.info.max)
    fail(FC_EINVAL, label + " must be a number of seconds from " + format_limit(spec.info.min) + " to " +
                        format_limit(spec.info.max) + ", got " + shown(spec, value));
  SettingValue out;
  out.number = std::llround(seconds * 1000);
  out.text = format_seconds(out.number);
  return out;
}

SettingValue parse_integer(const SettingSpec &spec, std::string_view value, const std::string &label) {
  unsigned long long n = 0;
  bool ok = !value.empty() && value.size() <= 19;
  for (char c : value) ok = ok && is_digit(c);
  ok = ok && std::from_chars(value.data(), value.data() + value.size(), n).ec == std::errc();
  if (!ok || static_cast<double>(n) < spec.info.min || static_cast<double>(n) > spec.info.max)
    fail(FC_EINVAL, label + " must be a whole number from " + format_limit(spec.info.min) + " to " +
                        format_limit(spec.info.max) + ", got " + shown(spec, value));
  SettingValue out;
  out.number = static_cast<long long>(n);
  out.text = std::to_string(n);
  return out;
}

SettingValue parse_on_off(const SettingSpec &spec, std::string_view value, const std::string &label) {
  SettingValue out;
  if (iequals(value, "on") || iequals(value, "true")) out.on = true;
  else if (!iequals(value, "off") && !iequals(value, "false"))
    fail(FC_EINVAL, label + " must be on or off, got " + shown(spec, value));
  out.text = out.on ? "on" : "off";
  return out;
}

void check_url(const SettingSpec &spec, std::string_view value, const std::string &label) {
  std::optional<http::Url> url = http::parse_url(std::string(value));
  // Never echo a URL that carries credentials.
  if (url && url->has_credentials) fail(FC_EINVAL, label + " must not contain credentials");
  if (!url || (url->scheme != "http" && url->scheme != "https") || url->host.empty())
    fail(FC_EINVAL, label + " must be an http:// or https:// URL with a host, got " + shown(spec, value));
}

}  // namespace

SettingValue parse_setting_value(const SettingSpec &spec, std::string_view value, const std::string &label) {
  SettingValue out;
  switch (spec.info.kind) {
    case FC_SETTING_SECONDS: out = parse_seconds(spec, value, label); break;
    case FC_SETTING_INTEGER: out = parse_integer(spec, value, label); break;
    case FC_SETTING_ON_OFF: out = parse_on_off(spec, value, label); break;
    case FC_SETTING_AWS_BOOLEAN:
      out.on = iequals(value, "true");
      out.text = out.on ? "true" : "false";
      break;
    case FC_SETTING_JSON:
      if (value.size() > kMaxJson) fail(FC_EINVAL, label + " is longer than 1 MiB");
      out.text = std::string(value);
      break;
    case FC_SETTING_URL:
      check_one_line(spec, value, label);
      check_url(spec, value, label);
      out.text = std::string(value);
      break;
    default:  // TEXT, PATH, STORAGE
      check_one_line(spec, value, label);
      out.text = std::string(value);
      break;
  }
  if (spec.check) spec.check(value, label);
  return out;
}

}  // namespace fc

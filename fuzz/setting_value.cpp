// The table of settings' value parser, as the plugin and the CLI both reach
// it: any bytes for any setting (environment variables are outside input).
// Input: the first byte picks the setting (modulo the table's length), the
// rest is the value.
//
// Properties: a value is accepted, and then its canonical text is accepted
// again as the same value; or it is refused with FC_EINVAL and one line that
// names the variable and never repeats a secret value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "settings/setting_table.h"
#include "settings/setting_value.h"
#include "util/error.h"

namespace {

bool message_like(std::string_view v) {
  for (char c : v)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          std::string_view(" '(),.:;_-").find(c) != std::string_view::npos))
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const fc::SettingSpec &spec = *fc::setting_at(data[0] % fc::kSettingCount);
  const std::string_view value(reinterpret_cast<const char *>(data + 1), size - 1);
  const std::string label = spec.info.variables[0] ? spec.info.variables[0] : spec.info.name;
  fc::SettingValue parsed;
  try {
    parsed = fc::parse_setting_value(spec, value, label);
  } catch (const fc::Error &e) {
    const std::string message = e.what();
    FUZZ_CHECK(e.status() == FC_EINVAL);
    FUZZ_CHECK(message.rfind(label, 0) == 0);
    FUZZ_CHECK(message.find('\n') == std::string::npos);
    // A secret is never repeated. (A value made only of the words and
    // punctuation messages are written in may coincide with their text.)
    if (spec.info.secret && value.size() >= 8 && !message_like(value))
      FUZZ_CHECK(message.find(value) == std::string::npos);
    return 0;
  }
  // Canonical text is a fixed point: what fc_settings_get shows can be set back.
  fc::SettingValue again = fc::parse_setting_value(spec, parsed.text, label);
  FUZZ_CHECK(again.text == parsed.text && again.number == parsed.number && again.on == parsed.on);
  if (spec.info.kind == FC_SETTING_SECONDS || spec.info.kind == FC_SETTING_INTEGER) {
    double scaled = spec.info.kind == FC_SETTING_SECONDS ? parsed.number / 1000.0 : static_cast<double>(parsed.number);
    FUZZ_CHECK(scaled >= spec.info.min - 0.0005 && scaled <= spec.info.max + 0.0005);
  }
  return 0;
}

// `fallback-config sign`: a raw HTTP request signed with the settings'
// credentials, every step shown, the session token masked.
#pragma once

#include <string>
#include <string_view>

#include "settings/settings.h"

namespace fc {

struct RawSigningOptions {
  std::string region;   // "": the settings' region
  std::string service;  // required
  std::string time;     // ISO 8601 UTC; "": now
  bool s3 = true;
  bool normalize_path = true;  // generic rules only
};

struct RawSigning {
  std::string canonical_request;  // the session token masked
  std::string string_to_sign;
  std::string headers_to_add;     // "name: value\n" lines, then Authorization
  std::string authorization;
};

// Throws FC_EINVAL naming the setting or the request line at fault.
RawSigning sign_raw_request(const Settings &settings, std::string_view raw, const RawSigningOptions &options);

}  // namespace fc

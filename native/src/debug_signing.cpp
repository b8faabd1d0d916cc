#include "debug_signing.h"

#include <algorithm>
#include <ctime>
#include <initializer_list>

#include "auth/raw_request.h"
#include "auth/sigv4.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc {

namespace {

// Replaces every occurrence of any of `secrets` in one left-to-right pass, so a
// placeholder is never searched again.
std::string mask(const std::string &text, std::initializer_list<std::string> secrets, const std::string &placeholder) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t matched = 0;
    for (const std::string &secret : secrets)
      if (!secret.empty() && text.compare(i, secret.size(), secret) == 0) matched = std::max(matched, secret.size());
    if (matched) {
      out.append(placeholder);
      i += matched;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

sigv4::Params signing_params(const Settings &settings, const RawSigningOptions &options) {
  sigv4::Params params;
  params.region = options.region.empty() ? settings.text(SettingId::Region) : options.region;
  if (params.region.empty()) settings.require(SettingId::Region, "the region of the credential scope");
  if (options.service.empty()) fail(FC_EINVAL, "the service of the credential scope is required");
  params.service = options.service;
  params.credentials = settings.aws_environment_credentials();
  if (params.credentials.empty())
    fail(FC_EINVAL, "no AWS credentials to sign with: " + settings.label(SettingId::AccessKeyId) + " and " +
                        settings.label(SettingId::SecretAccessKey) + " are not set");
  params.rules = options.s3 ? sigv4::Rules::S3 : sigv4::Rules::Generic;
  params.normalize_path = options.normalize_path;
  params.time = std::time(nullptr);
  if (!options.time.empty() && !parse_iso8601_utc(options.time, &params.time))
    fail(FC_EINVAL, "the signing time must be ISO 8601 UTC, e.g. 2013-05-24T00:00:00Z or 20130524T000000Z, got '" +
                        one_line(options.time.substr(0, 64)) + "'");
  return params;
}

}  // namespace

RawSigning sign_raw_request(const Settings &settings, std::string_view raw, const RawSigningOptions &options) {
  const sigv4::Params params = signing_params(settings, options);
  const sigv4::Signature sig = sigv4::Signer().sign(parse_raw_request(raw).for_signing(params.rules), params);

  // The canonical request carries the session token in clear: show a
  // placeholder. The string to sign still holds the hash of the real canonical
  // request. A presigned-style query may carry it URI-encoded: mask that too.
  const std::string &token = params.credentials.session_token;
  const std::string placeholder = "<" + settings.label(SettingId::SessionToken) + ">";
  RawSigning out;
  out.canonical_request = token.empty() ? sig.canonical_request
                                        : mask(sig.canonical_request, {token, uri_encode(token, false)}, placeholder);
  out.string_to_sign = sig.string_to_sign;
  for (const auto &[name, value] : sig.added_headers)
    out.headers_to_add += name + ": " + (name == "x-amz-security-token" ? placeholder : value) + "\n";
  out.headers_to_add += "Authorization: " + sig.authorization + "\n";
  out.authorization = sig.authorization;
  return out;
}

}  // namespace fc

#include "storage/s3_addressing.h"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "http/transport.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

constexpr const char *kDefaultRegion = "us-east-1";
constexpr const char *kEndpointSetting = "AWS_CONFIG_STORAGE_ENDPOINT";

struct UrlDeleter {
  void operator()(CURLU *u) const { curl_url_cleanup(u); }
};

// A part of a parsed URL, or "" when absent.
std::string url_part(CURLU *u, CURLUPart what) {
  char *part = nullptr;
  if (curl_url_get(u, what, &part, 0) != CURLUE_OK) return {};
  std::string out = part;
  curl_free(part);
  return out;
}

// Only the scheme, host and port of the endpoint are used, as in Kong.
void apply_endpoint(const std::string &url, S3Addressing *out) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) fail(FC_EINTERNAL, "out of memory parsing the endpoint");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    fail(FC_EINVAL, std::string(kEndpointSetting) + " is not a URL: expected http(s)://host[:port]/");
  if (!url_part(u.get(), CURLUPART_USER).empty() || !url_part(u.get(), CURLUPART_PASSWORD).empty())
    fail(FC_EINVAL, std::string(kEndpointSetting) + " must not contain credentials");
  out->scheme = to_lower(url_part(u.get(), CURLUPART_SCHEME));
  if (out->scheme != "http" && out->scheme != "https")
    fail(FC_EINVAL, std::string(kEndpointSetting) + " must use http:// or https://");
  out->host = url_part(u.get(), CURLUPART_HOST);
  if (out->host.empty()) fail(FC_EINVAL, std::string(kEndpointSetting) + " has no host");
  std::string port = url_part(u.get(), CURLUPART_PORT);
  out->port = port.empty() ? 0 : std::atoi(port.c_str());
  out->path_style = true;
}

}  // namespace

std::string S3Addressing::host_header() const { return http::host_header_value(scheme, host, port); }

std::string S3Addressing::path(const std::string &bucket, const std::string &key) const {
  return path_style ? "/" + bucket + "/" + key : "/" + key;
}

S3Addressing resolve_s3_addressing(const std::string &bucket, const std::string &region,
                                   const std::string &endpoint) {
  S3Addressing out;
  out.region = region.empty() ? kDefaultRegion : region;
  for (char c : out.region)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      fail(FC_EINVAL, "AWS region '" + one_line(out.region) + "' is not a region name (e.g. us-east-1)");
  if (!endpoint.empty()) {
    apply_endpoint(endpoint, &out);
    return out;
  }
  const std::string domain = starts_with(out.region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  out.scheme = "https";
  if (bucket.find('.') != std::string::npos) {
    // A dotted bucket breaks the *.s3 TLS wildcard: address it path-style.
    out.host = "s3." + out.region + "." + domain;
    out.path_style = true;
  } else {
    out.host = bucket + ".s3." + out.region + "." + domain;
  }
  return out;
}

}  // namespace fc

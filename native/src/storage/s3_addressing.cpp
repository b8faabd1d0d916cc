#include "storage/s3_addressing.h"

#include "http/transport.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

constexpr const char *kDefaultRegion = "us-east-1";

}  // namespace

std::string S3Addressing::host_header() const { return http::host_header_value(scheme, host, port); }

std::string S3Addressing::path(const std::string &bucket, const std::string &key) const {
  return path_style ? "/" + bucket + "/" + key : "/" + key;
}

bool is_region_name(const std::string &region) {
  if (region.empty()) return false;
  for (char c : region)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

S3Addressing resolve_s3_addressing(const std::string &bucket, const std::string &region,
                                   const std::optional<http::Url> &endpoint) {
  S3Addressing out;
  out.region = region.empty() ? kDefaultRegion : region;
  // The region may come from a shared config file or IMDS, not only a setting.
  if (!is_region_name(out.region))
    fail(FC_EINVAL, "AWS region '" + one_line(out.region) + "' is not a region name (e.g. us-east-1)");
  if (endpoint) {
    out.scheme = endpoint->scheme;
    out.host = endpoint->host;
    out.port = endpoint->port;
    out.path_style = true;
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

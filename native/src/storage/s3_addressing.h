// Where an S3 request goes: with an S3-compatible endpoint, that host,
// path-style (/<bucket>/<key>); otherwise AWS's regional endpoint,
// virtual-hosted (<bucket>.s3.<region>.amazonaws.com/<key>).
#pragma once

#include <optional>
#include <string>

#include "http/url.h"

namespace fc {

struct S3Addressing {
  std::string region;   // the signing region
  std::string scheme;   // http or https
  std::string host;     // without the port
  int port = 0;         // 0: the scheme's default
  bool path_style = false;

  // The Host header: host, with :port when it is not the scheme's default.
  std::string host_header() const;
  // The decoded request path for a key ("" for bucket-level requests).
  std::string path(const std::string &bucket, const std::string &key) const;
};

// Whether `region` reads like an AWS region name (lowercase letters, digits, '-').
bool is_region_name(const std::string &region);

// Throws fc::Error(FC_EINVAL) for a region that is not a region name. Only the
// endpoint's scheme, host and port are used, as in Kong.
S3Addressing resolve_s3_addressing(const std::string &bucket, const std::string &region,
                                   const std::optional<http::Url> &endpoint);

}  // namespace fc

// Where an S3 request goes: with an endpoint (AWS_CONFIG_STORAGE_ENDPOINT), that
// host, path-style (/<bucket>/<key>); otherwise AWS's regional endpoint,
// virtual-hosted (<bucket>.s3.<region>.amazonaws.com/<key>).
#pragma once

#include <string>

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

// Throws fc::Error(FC_EINVAL) for a bad region or endpoint; never echoes
// credentials embedded in the endpoint URL.
S3Addressing resolve_s3_addressing(const std::string &bucket, const std::string &region,
                                   const std::string &endpoint);

}  // namespace fc

// Where the fallback configuration lives, parsed from the storage setting:
//   s3://<bucket>/<prefix>   gcs://<bucket>/<prefix>   file:///<directory>
// and the key layout Kong uses inside it: <prefix>/<gateway version>/config.json.
#pragma once

#include <string>
#include <string_view>

namespace fc {

enum class Scheme { S3, GCS, File };

struct Location {
  Scheme scheme = Scheme::File;
  std::string bucket;    // S3/GCS only
  std::string prefix;    // no leading or trailing slash, no empty segments
  std::string root_dir;  // file only: absolute directory, no trailing slash

  // <prefix>/<version>/config.json, relative to the bucket (or root_dir).
  std::string config_key(std::string_view version) const;
  // <prefix>/<version>/<name>: the objects kept beside a version's configuration.
  std::string version_key(std::string_view version, std::string_view name) const;
  // The prefix every key of this location starts with ("" or "<prefix>/").
  std::string key_prefix() const;
  // s3://bucket/key, gcs://bucket/key or file:///dir/key, for messages.
  std::string url_of(std::string_view key) const;
};

// Throws fc::Error(FC_EINVAL) with a one-line message that starts with
// `label` (the setting or variable the URL came from) and never echoes
// credentials embedded in the URL.
Location parse_location(std::string_view url, const std::string &label = "storage");

// S3's bucket naming rules (general purpose buckets).
bool is_valid_s3_bucket(std::string_view name, std::string *why);
// Google Cloud Storage's bucket naming rules.
bool is_valid_gcs_bucket(std::string_view name, std::string *why);
// A gateway version as it appears in a key ("3.9.1.0"): one non-empty segment.
void validate_version(std::string_view version);

// Joins segments with '/', collapsing duplicate slashes, with no leading slash.
std::string join_key(std::string_view a, std::string_view b);

}  // namespace fc

// The storage setting's URL parser (KONG_CLUSTER_FALLBACK_CONFIG_STORAGE) and
// the keys and URLs derived from a parsed location.
// Input: the URL, optionally followed by '\n' and a gateway version.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "storage/location.h"
#include "util/error.h"

namespace {

bool has_control_character(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

// "a/b/c": no leading, trailing or doubled slash, no "." or ".." segment.
bool is_clean_key_path(std::string_view p) {
  if (p.empty()) return true;
  if (p.front() == '/' || p.back() == '/' || p.find("//") != std::string_view::npos) return false;
  std::string wrapped = "/" + std::string(p) + "/";
  return wrapped.find("/./") == std::string::npos && wrapped.find("/../") == std::string::npos;
}

void check_location(const fc::Location &loc) {
  std::string why;
  switch (loc.scheme) {
    case fc::Scheme::S3:
      FUZZ_CHECK(fc::is_valid_s3_bucket(loc.bucket, &why));
      break;
    case fc::Scheme::GCS:
      FUZZ_CHECK(fc::is_valid_gcs_bucket(loc.bucket, &why));
      break;
    case fc::Scheme::File:
      FUZZ_CHECK(loc.bucket.empty() && loc.prefix.empty());
      FUZZ_CHECK(loc.root_dir.size() > 1 && loc.root_dir.front() == '/' && loc.root_dir.back() != '/');
      FUZZ_CHECK(is_clean_key_path(std::string_view(loc.root_dir).substr(1)));
      FUZZ_CHECK(!has_control_character(loc.root_dir));
      return;
  }
  FUZZ_CHECK(loc.root_dir.empty());
  FUZZ_CHECK(is_clean_key_path(loc.prefix) && !has_control_character(loc.prefix));
  FUZZ_CHECK(loc.prefix.size() <= 900);
  FUZZ_CHECK(loc.key_prefix() == (loc.prefix.empty() ? std::string() : loc.prefix + "/"));
}

bool same(const fc::Location &a, const fc::Location &b) {
  return a.scheme == b.scheme && a.bucket == b.bucket && a.prefix == b.prefix && a.root_dir == b.root_dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  size_t newline = input.find('\n');
  std::string_view url = input.substr(0, newline);
  std::string_view version = newline == std::string_view::npos ? "3.9.1.0" : input.substr(newline + 1);

  fc::Location loc;
  try {
    loc = fc::parse_location(url);
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
    return 0;
  }
  check_location(loc);

  // What url_of() prints for the location itself parses back to it.
  std::string self = loc.url_of(loc.scheme == fc::Scheme::File ? std::string() : loc.prefix);
  fc::Location again = fc::parse_location(self);
  FUZZ_CHECK(same(loc, again));

  try {
    std::string key = loc.config_key(version);
    FUZZ_CHECK(key == loc.key_prefix() + std::string(version) + "/config.json");
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
  }
  return 0;
}

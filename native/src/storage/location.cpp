#include "storage/location.h"

#include <vector>

#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

constexpr std::string_view kConfigFile = "config.json";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool looks_like_ipv4(std::string_view name) {
  std::vector<std::string> parts = split(name, '.');
  if (parts.size() != 4) return false;
  for (const auto &p : parts) {
    if (p.empty() || p.size() > 3) return false;
    for (char c : p)
      if (c < '0' || c > '9') return false;
  }
  return true;
}

// Checks a path for what cannot be a key prefix, then collapses slashes.
std::string clean_prefix(std::string_view path, const std::string &label) {
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail(FC_EINVAL, label + ": the prefix contains a control character");
    if (c == '\\') fail(FC_EINVAL, label + ": the prefix contains a backslash; use '/' between segments");
    if (c == '%')
      fail(FC_EINVAL, label + ": percent-encoding is not supported in the prefix; write the characters as they are");
  }
  std::string out;
  for (const std::string &seg : split(path, '/')) {
    if (seg.empty()) continue;
    if (seg == "." || seg == "..")
      fail(FC_EINVAL, label + ": the prefix must not contain '.' or '..' segments");
    out = join_key(out, seg);
  }
  if (out.size() > 900) fail(FC_EINVAL, label + ": the prefix is longer than 900 bytes");
  return out;
}

}  // namespace

std::string join_key(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size() + 1);
  auto append = [&out](std::string_view s) {
    for (char c : s) {
      if (c == '/' && (out.empty() || out.back() == '/')) continue;
      out.push_back(c);
    }
  };
  append(a);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  append(b);
  return out;
}

std::string Location::config_key(std::string_view version) const { return version_key(version, kConfigFile); }

std::string Location::version_key(std::string_view version, std::string_view name) const {
  validate_version(version);
  return join_key(join_key(prefix, version), name);
}

std::string Location::key_prefix() const { return prefix.empty() ? std::string() : prefix + "/"; }

std::string Location::url_of(std::string_view key) const {
  switch (scheme) {
    case Scheme::S3: return "s3://" + bucket + "/" + std::string(key);
    case Scheme::GCS: return "gcs://" + bucket + "/" + std::string(key);
    case Scheme::File: break;
  }
  return "file://" + root_dir + "/" + std::string(key);
}

bool is_valid_s3_bucket(std::string_view n, std::string *why) {
  auto bad = [why](const char *reason) {
    *why = reason;
    return false;
  };
  if (n.size() < 3 || n.size() > 63) return bad("must be 3 to 63 characters long");
  for (char c : n)
    if (!is_lower_alnum(c) && c != '-' && c != '.')
      return bad("may contain only lowercase letters, digits, '.' and '-'");
  if (!is_lower_alnum(n.front()) || !is_lower_alnum(n.back()))
    return bad("must begin and end with a lowercase letter or a digit");
  if (n.find("..") != std::string_view::npos) return bad("must not contain two adjacent periods");
  if (looks_like_ipv4(n)) return bad("must not be formatted as an IP address");
  for (std::string_view p : {"xn--", "sthree-", "amzn-s3-demo-"})
    if (starts_with(n, p)) return bad("must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)");
  for (std::string_view s : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"})
    if (ends_with(n, s)) return bad("must not end with a reserved suffix (-s3alias, --ol-s3, .mrap, --x-s3)");
  return true;
}

bool is_valid_gcs_bucket(std::string_view n, std::string *why) {
  auto bad = [why](const char *reason) {
    *why = reason;
    return false;
  };
  bool dotted = n.find('.') != std::string_view::npos;
  if (n.size() < 3 || n.size() > (dotted ? 222u : 63u))
    return bad("must be 3 to 63 characters long (222 with dots, 63 per dot-separated part)");
  for (char c : n)
    if (!is_lower_alnum(c) && c != '-' && c != '_' && c != '.')
      return bad("may contain only lowercase letters, digits, '-', '_' and '.'");
  if (!is_lower_alnum(n.front()) || !is_lower_alnum(n.back()))
    return bad("must begin and end with a lowercase letter or a digit");
  for (const auto &part : split(n, '.'))
    if (part.empty() || part.size() > 63) return bad("each dot-separated part must be 1 to 63 characters long");
  if (looks_like_ipv4(n)) return bad("must not be formatted as an IP address");
  if (starts_with(n, "goog") || n.find("google") != std::string_view::npos ||
      n.find("g00gle") != std::string_view::npos)
    return bad("must not start with 'goog' or contain 'google'");
  return true;
}

void validate_version(std::string_view v) {
  if (v.empty()) fail(FC_EINVAL, "the gateway version is empty");
  if (v == "." || v == "..") fail(FC_EINVAL, "the gateway version must not be '.' or '..'");
  for (char c : v)
    if (c == '/' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
      fail(FC_EINVAL, "the gateway version must be one key segment: no '/', spaces or control characters");
}

Location parse_location(std::string_view url, const std::string &label) {
  const char *expected = ": expected s3://<bucket>/<prefix>, gcs://<bucket>/<prefix> or file:///<dir>";
  if (url.empty()) fail(FC_EINVAL, label + " is empty" + expected);
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) fail(FC_EINVAL, label + " has no scheme" + expected);
  std::string scheme = to_lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos)
    fail(FC_EINVAL, label + " must not have a query ('?') or a fragment ('#')");

  Location loc;
  if (scheme == "file") {
    loc.scheme = Scheme::File;
    size_t slash = rest.find('/');
    std::string_view host = rest.substr(0, slash);
    if (slash == std::string_view::npos || (!host.empty() && host != "localhost"))
      fail(FC_EINVAL, label + ": file storage needs an absolute path: file:///<dir>");
    std::string dir = "/" + clean_prefix(rest.substr(slash), label);
    loc.root_dir = dir == "/" ? std::string() : dir;
    if (loc.root_dir.empty()) fail(FC_EINVAL, label + ": file storage must not be the root directory");
    return loc;
  }
  if (scheme == "s3") {
    loc.scheme = Scheme::S3;
  } else if (scheme == "gcs") {
    loc.scheme = Scheme::GCS;
  } else {
    fail(FC_EINVAL, label + ": the scheme '" + one_line(scheme.substr(0, 16)) +
                        "' is not supported: use s3://, gcs:// or file://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  // Never echo the authority: it may hold "key:secret@".
  if (authority.find('@') != std::string_view::npos)
    fail(FC_EINVAL, label + " must not contain credentials; use the AWS_* or GCP_* settings instead");
  if (authority.find(':') != std::string_view::npos)
    fail(FC_EINVAL, label + " must not contain a port; set the endpoint separately");
  if (authority.empty()) fail(FC_EINVAL, label + " has no bucket: expected " + scheme + "://<bucket>/<prefix>");
  std::string why;
  bool ok = loc.scheme == Scheme::S3 ? is_valid_s3_bucket(authority, &why) : is_valid_gcs_bucket(authority, &why);
  if (!ok) fail(FC_EINVAL, label + ": invalid bucket name '" + one_line(authority) + "': a bucket name " + why);
  loc.bucket = std::string(authority);
  if (slash != std::string_view::npos) loc.prefix = clean_prefix(rest.substr(slash), label);
  return loc;
}

}  // namespace fc

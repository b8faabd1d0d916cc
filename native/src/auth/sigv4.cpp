#include "auth/sigv4.h"

#include <algorithm>
#include <utility>

#include <openssl/crypto.h>

#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc::sigv4 {

namespace {

constexpr size_t kMaxCachedKeys = 16;

struct HeaderView {
  std::string_view name;  // as sent
  std::string_view value;
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Lowercases every name once, into one buffer the views then point to, so that
// sorting and grouping compare with memcmp.
void lowercase_names(std::vector<HeaderView> &headers, std::string &buffer) {
  size_t total = 0;
  for (const auto &h : headers) total += h.name.size();
  buffer.resize(total);
  size_t at = 0;
  for (auto &h : headers) {
    for (size_t i = 0; i < h.name.size(); ++i) buffer[at + i] = lower(h.name[i]);
    h.name = std::string_view(buffer).substr(at, h.name.size());
    at += h.name.size();
  }
}

// Appends a header value trimmed, with inner runs of spaces and tabs turned into one space.
void append_trimmed_collapsed(std::string &out, std::string_view v) {
  v = trim(v);
  if (v.find('\t') == std::string_view::npos && v.find("  ") == std::string_view::npos) {
    out.append(v);  // the common case: nothing to collapse
    return;
  }
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

// Task 1, steps 4 and 5 on views: lowercase names, values trimmed with inner runs
// of spaces collapsed, repeated headers joined with commas in the order sent.
// Appends the canonical header block to `block` and the signed header names to `names`.
void build_canonical_headers(std::vector<HeaderView> &headers, std::string &block, std::string &names) {
  std::string lowered;
  lowercase_names(headers, lowered);
  // Insertion sort: stable (repeats keep their order), and requests carry a
  // handful of headers.
  for (size_t i = 1; i < headers.size(); ++i)
    for (size_t j = i; j > 0 && headers[j].name < headers[j - 1].name; --j) std::swap(headers[j], headers[j - 1]);
  for (size_t i = 0; i < headers.size();) {
    block.append(headers[i].name).push_back(':');
    if (!names.empty()) names.push_back(';');
    names.append(headers[i].name);
    size_t j = i;
    for (; j < headers.size() && headers[j].name == headers[i].name; ++j) {
      if (j != i) block.push_back(',');
      append_trimmed_collapsed(block, headers[j].value);
    }
    block.push_back('\n');
    i = j;
  }
}

}  // namespace

// Task 1, step 2: the URI-encoded absolute path. S3 encodes the key exactly once
// and never normalises it ("a//b" and "a/./b" are distinct keys). Every other
// service takes the path as the request carries it (normally encoded once
// already), normalises it and encodes it once more: "%20" becomes "%2520",
// while a raw space or UTF-8 byte is encoded once.
std::string canonical_uri(std::string_view path, Rules rules, bool normalize_path) {
  if (path.empty()) return "/";
  if (rules == Rules::S3) return uri_encode(path, /*keep_slash=*/true);
  return uri_encode(normalize_path ? fc::normalize_path(path) : std::string(path), /*keep_slash=*/true);
}

// Task 1, step 3: every name and value encoded, sorted by name then value.
std::string canonical_query_string(const NameValues &query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto &[name, value] : query)
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto &[name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).push_back('=');
    out.append(value);
  }
  return out;
}

CanonicalHeaders canonical_headers(const NameValues &headers) {
  std::vector<HeaderView> views;
  views.reserve(headers.size());
  for (const auto &[name, value] : headers) views.push_back({name, value});
  CanonicalHeaders out;
  build_canonical_headers(views, out.block, out.signed_headers);
  return out;
}

std::string credential_scope(std::string_view date, std::string_view region, std::string_view service) {
  std::string scope;
  scope.reserve(date.size() + region.size() + service.size() + 16);
  scope.append(date).push_back('/');
  scope.append(region).push_back('/');
  scope.append(service).append("/aws4_request");
  return scope;
}

// Task 3: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
crypto::Sha256 Signer::signing_key(const AwsCredentials &credentials, std::string_view date,
                                   std::string_view region, std::string_view service) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto &e : cache_)
      if (e.date == date && e.region == region && e.service == service &&
          e.access_key_id == credentials.access_key_id && e.secret == credentials.secret_access_key)
        return e.key;
  }
  std::string k_secret;
  k_secret.reserve(4 + credentials.secret_access_key.size());
  k_secret.append("AWS4").append(credentials.secret_access_key);
  const crypto::Sha256 k_signing = crypto::hmac_sha256_chain(k_secret, {date, region, service, "aws4_request"});
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  std::lock_guard<std::mutex> lock(mutex_);
  // Keys change once a day; a full cache holds stale dates, so start over.
  if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  cache_.push_back({std::string(date), std::string(region), std::string(service), credentials.access_key_id,
                    credentials.secret_access_key, k_signing});
  return k_signing;
}

Signature Signer::sign(const Request &request, const Params &params) const {
  // Headers the signer owns: the request date, the session token and, for S3, the
  // payload hash. A caller's x-amz-content-sha256 (e.g. UNSIGNED-PAYLOAD) is kept.
  Signature sig;
  sig.added_headers.reserve(3);  // views below point into these strings
  sig.added_headers.emplace_back("x-amz-date", format_amz_date(params.time));
  const std::string_view amz_date = sig.added_headers[0].second;
  const std::string_view date = amz_date.substr(0, 8);
  std::string_view payload_hash = request.payload_hash;
  bool has_payload_header = false;
  for (const auto &h : request.headers)
    if (iequals(h.first, "x-amz-content-sha256")) {
      payload_hash = trim(h.second);
      has_payload_header = true;
    }
  if (!has_payload_header && params.rules == Rules::S3)
    sig.added_headers.emplace_back("x-amz-content-sha256", std::string(payload_hash));
  const bool has_token = !params.credentials.session_token.empty();
  if (has_token) sig.added_headers.emplace_back("x-amz-security-token", params.credentials.session_token);

  std::vector<HeaderView> headers;
  headers.reserve(request.headers.size() + sig.added_headers.size());
  for (const auto &[name, value] : request.headers) {
    if (iequals(name, "authorization") || iequals(name, "x-amz-date")) continue;
    if (has_token && iequals(name, "x-amz-security-token")) continue;
    headers.push_back({name, value});
  }
  for (const auto &[name, value] : sig.added_headers) headers.push_back({name, value});

  // Task 1: the canonical request.
  std::string signed_headers;
  std::string &creq = sig.canonical_request;
  creq.reserve(512 + 3 * request.path.size() + 64 * headers.size());
  creq.append(request.method).push_back('\n');
  creq.append(canonical_uri(request.path, params.rules, params.normalize_path)).push_back('\n');
  if (!request.query.empty()) creq.append(canonical_query_string(request.query));
  creq.push_back('\n');
  build_canonical_headers(headers, creq, signed_headers);
  creq.push_back('\n');
  creq.append(signed_headers).push_back('\n');
  creq.append(payload_hash);

  // Task 2: the string to sign.
  const std::string scope = credential_scope(date, params.region, params.service);
  std::string &sts = sig.string_to_sign;
  sts.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 67);
  sts.append(kAlgorithm).push_back('\n');
  sts.append(amz_date).push_back('\n');
  sts.append(scope).push_back('\n');
  crypto::append_hex(sts, crypto::sha256(creq));

  // Tasks 3 and 4: the signature.
  const crypto::Sha256 key = signing_key(params.credentials, date, params.region, params.service);
  crypto::append_hex(sig.signature, crypto::hmac_sha256(crypto::as_view(key), sts));

  sig.authorization.reserve(200);
  sig.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(params.credentials.access_key_id)
      .append("/")
      .append(scope)
      .append(", SignedHeaders=")
      .append(signed_headers)
      .append(", Signature=")
      .append(sig.signature);
  return sig;
}

}  // namespace fc::sigv4

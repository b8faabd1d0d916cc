#include "auth/sigv4.h"

#include <algorithm>
#include <map>

#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc::sigv4 {

namespace {

constexpr size_t kMaxCachedKeys = 16;

bool has_header(const NameValues &headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto &h) { return iequals(h.first, name); });
}

std::string header_value(const NameValues &headers, std::string_view name) {
  for (const auto &h : headers)
    if (iequals(h.first, name)) return std::string(trim(h.second));
  return {};
}

void remove_header(NameValues &headers, std::string_view name) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto &h) { return iequals(h.first, name); }),
                headers.end());
}

}  // namespace

// Task 1, step 2: the URI-encoded absolute path. S3 encodes the key exactly once
// and never normalises it ("a//b" and "a/./b" are distinct keys); every other
// service normalises the path and encodes it twice.
std::string canonical_uri(std::string_view path, Rules rules, bool normalize_path) {
  if (path.empty()) return "/";
  if (rules == Rules::S3) return uri_encode(path, /*keep_slash=*/true);
  std::string p = normalize_path ? fc::normalize_path(path) : std::string(path);
  return uri_encode(uri_encode(p, true), true);
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

// Task 1, steps 4 and 5: lowercase names, values trimmed with inner runs of
// spaces collapsed, repeated headers joined with commas in the order sent.
CanonicalHeaders canonical_headers(const NameValues &headers) {
  std::map<std::string, std::string> merged;
  for (const auto &[name, value] : headers) {
    auto [it, inserted] = merged.try_emplace(to_lower(name));
    if (!inserted) it->second.push_back(',');
    it->second.append(trim_and_collapse_spaces(value));
  }
  CanonicalHeaders out;
  for (const auto &[name, value] : merged) {
    out.block.append(name).push_back(':');
    out.block.append(value).push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(name);
  }
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
  std::string id = credential_scope(date, region, service);
  id.push_back('/');
  id.append(credentials.access_key_id);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto &entry : cache_)
      if (entry.scope_and_key_id == id && entry.secret == credentials.secret_access_key) return entry.key;
  }
  crypto::Sha256 k_date = crypto::hmac_sha256("AWS4" + credentials.secret_access_key, date);
  crypto::Sha256 k_region = crypto::hmac_sha256(crypto::as_view(k_date), region);
  crypto::Sha256 k_service = crypto::hmac_sha256(crypto::as_view(k_region), service);
  crypto::Sha256 k_signing = crypto::hmac_sha256(crypto::as_view(k_service), "aws4_request");
  std::lock_guard<std::mutex> lock(mutex_);
  // Keys change once a day; a full cache holds stale dates, so start over.
  if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  cache_.push_back({std::move(id), credentials.secret_access_key, k_signing});
  return k_signing;
}

Signature Signer::sign(const Request &request, const Params &params) const {
  const std::string amz_date = format_amz_date(params.time);
  const std::string date = amz_date.substr(0, 8);

  // Headers the signer owns: the request date, the session token and, for S3, the
  // payload hash. A caller's x-amz-content-sha256 (e.g. UNSIGNED-PAYLOAD) is kept.
  NameValues headers = request.headers;
  remove_header(headers, "authorization");
  remove_header(headers, "x-amz-date");
  Signature sig;
  sig.added_headers.emplace_back("x-amz-date", amz_date);
  std::string payload_hash = request.payload_hash;
  if (has_header(headers, "x-amz-content-sha256")) {
    payload_hash = header_value(headers, "x-amz-content-sha256");
  } else if (params.rules == Rules::S3) {
    sig.added_headers.emplace_back("x-amz-content-sha256", payload_hash);
  }
  if (!params.credentials.session_token.empty()) {
    remove_header(headers, "x-amz-security-token");
    sig.added_headers.emplace_back("x-amz-security-token", params.credentials.session_token);
  }
  headers.insert(headers.end(), sig.added_headers.begin(), sig.added_headers.end());

  // Task 1: the canonical request.
  const CanonicalHeaders canonical = canonical_headers(headers);
  std::string &creq = sig.canonical_request;
  creq.reserve(512 + canonical.block.size());
  creq.append(request.method).push_back('\n');
  creq.append(canonical_uri(request.path, params.rules, params.normalize_path)).push_back('\n');
  creq.append(canonical_query_string(request.query)).push_back('\n');
  creq.append(canonical.block).push_back('\n');
  creq.append(canonical.signed_headers).push_back('\n');
  creq.append(payload_hash);

  // Task 2: the string to sign.
  const std::string scope = credential_scope(date, params.region, params.service);
  std::string &sts = sig.string_to_sign;
  sts.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 67);
  sts.append(kAlgorithm).push_back('\n');
  sts.append(amz_date).push_back('\n');
  sts.append(scope).push_back('\n');
  sts.append(crypto::hex(crypto::sha256(creq)));

  // Tasks 3 and 4: the signature.
  const crypto::Sha256 key = signing_key(params.credentials, date, params.region, params.service);
  sig.signature = crypto::hex(crypto::hmac_sha256(crypto::as_view(key), sts));

  sig.authorization.reserve(200);
  sig.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(params.credentials.access_key_id)
      .append("/")
      .append(scope)
      .append(", SignedHeaders=")
      .append(canonical.signed_headers)
      .append(", Signature=")
      .append(sig.signature);
  return sig;
}

}  // namespace fc::sigv4

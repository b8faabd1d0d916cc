// AWS Signature Version 4, built in the named steps of the specification:
//   1. canonical request = method, canonical URI, canonical query string,
//      canonical headers, signed headers, hashed payload
//   2. string to sign    = algorithm, request date, credential scope, hash of (1)
//   3. signing key       = HMAC chain over date, region, service, "aws4_request"
//   4. signature         = hex(HMAC(signing key, (2)))
// Two rule sets: S3 (the decoded key encoded once, never normalised,
// x-amz-content-sha256 always sent) and the generic rules other services use
// (the path as it stands in the request, normalised, then encoded once more).
#pragma once

#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/aws_credentials.h"
#include "crypto/digest.h"
#include "http/headers.h"

namespace fc::sigv4 {

using NameValues = http::NameValues;

enum class Rules { S3, Generic };

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// hex(SHA-256("")), the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Request {
  std::string method;
  // S3 rules: decoded, as the object key reads ("/bucket/my key.json").
  // Generic rules: as it stands in the request line ("/a%20b", or a raw "/a b").
  std::string path;
  NameValues query;      // decoded names and values, repeats allowed
  NameValues headers;    // as sent; names in any case, repeats allowed
  std::string payload_hash = std::string(kEmptyPayloadHash);  // hex SHA-256 of the body
};

struct Params {
  AwsCredentials credentials;
  std::string region;
  std::string service;
  std::time_t time = 0;
  Rules rules = Rules::S3;
  bool normalize_path = true;  // generic rules only
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // value of the Authorization header
  NameValues added_headers;   // headers the signer added and the request must carry
};

std::string canonical_uri(std::string_view path, Rules rules, bool normalize_path);
std::string canonical_query_string(const NameValues &query);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" per header, sorted by name
  std::string signed_headers;  // "name;name;..."
};
CanonicalHeaders canonical_headers(const NameValues &headers);

std::string credential_scope(std::string_view date, std::string_view region, std::string_view service);

// Signs requests; caches derived signing keys per (date, region, service, key id).
// Thread-safe.
class Signer {
 public:
  Signature sign(const Request &request, const Params &params) const;

 private:
  crypto::Sha256 signing_key(const AwsCredentials &credentials, std::string_view date,
                             std::string_view region, std::string_view service) const;

  struct CachedKey {
    std::string date, region, service, access_key_id;
    std::string secret;  // a rotated secret must not reuse the old key
    crypto::Sha256 key;
  };
  mutable std::mutex mutex_;
  mutable std::vector<CachedKey> cache_;
};

}  // namespace fc::sigv4

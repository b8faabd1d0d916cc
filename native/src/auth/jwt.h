// RS256 JSON Web Tokens (RFC 7519, RFC 7515) for the OAuth 2.0 JWT bearer
// grant (RFC 7523) Google's token endpoint takes from a service account.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/gcp_service_account.h"

namespace fc::jwt {

// base64url without padding (RFC 7515 section 2).
std::string base64url(std::string_view data);

// header.claims.signature, each base64url; the signature is RSASSA-PKCS1-v1_5
// with SHA-256 over "header.claims", which is deterministic.
std::string sign_rs256(std::string_view header_json, std::string_view claims_json, EVP_PKEY *key);

// The JSON the assertion signs, in this order:
//   header {"alg":"RS256","typ":"JWT","kid":<private_key_id>} (kid only when known)
//   claims {"iss":<client_email>,"scope":<scope>,"aud":<token_uri>,"iat":<iat>,"exp":<iat+3600>}
std::string assertion_header(const gcp::ServiceAccount &sa);
std::string assertion_claims(const gcp::ServiceAccount &sa, std::string_view scope, int64_t iat);

// The signed assertion for the jwt-bearer grant.
std::string service_account_assertion(const gcp::ServiceAccount &sa, std::string_view scope, int64_t iat);

}  // namespace fc::jwt

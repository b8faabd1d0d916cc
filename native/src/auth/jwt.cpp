#include "auth/jwt.h"

#include <openssl/err.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <memory>

#include "crypto/digest.h"
#include "util/error.h"

namespace fc::jwt {

namespace {

constexpr int64_t kLifetimeSeconds = 3600;  // Google's maximum

void write_string(rapidjson::Writer<rapidjson::StringBuffer> &w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::string base64url(std::string_view data) {
  std::string b = crypto::base64(data);
  while (!b.empty() && b.back() == '=') b.pop_back();
  for (char &c : b) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return b;
}

std::string sign_rs256(std::string_view header_json, std::string_view claims_json, EVP_PKEY *key) {
  std::string input = base64url(header_json) + "." + base64url(claims_json);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  // RSA keys sign with PKCS#1 v1.5 padding unless told otherwise.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char *>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    fail(FC_EINTERNAL, "cannot sign the service-account JWT");
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &len,
                     reinterpret_cast<const unsigned char *>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    fail(FC_EINTERNAL, "cannot sign the service-account JWT");
  }
  signature.resize(len);
  return input + "." + base64url(signature);
}

std::string assertion_header(const gcp::ServiceAccount &sa) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("alg");
  w.String("RS256");
  w.Key("typ");
  w.String("JWT");
  if (!sa.private_key_id.empty()) {
    w.Key("kid");
    write_string(w, sa.private_key_id);
  }
  w.EndObject();
  return std::string(out.GetString(), out.GetSize());
}

std::string assertion_claims(const gcp::ServiceAccount &sa, std::string_view scope, int64_t iat) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("iss");
  write_string(w, sa.client_email);
  w.Key("scope");
  write_string(w, scope);
  w.Key("aud");
  write_string(w, sa.token_uri);
  w.Key("iat");
  w.Int64(iat);
  w.Key("exp");
  w.Int64(iat + kLifetimeSeconds);
  w.EndObject();
  return std::string(out.GetString(), out.GetSize());
}

std::string service_account_assertion(const gcp::ServiceAccount &sa, std::string_view scope, int64_t iat) {
  return sign_rs256(assertion_header(sa), assertion_claims(sa, scope, iat), sa.key.get());
}

}  // namespace fc::jwt

// A Google service-account key (the JSON file the console downloads), as
// GCP_SERVICE_ACCOUNT holds it or GOOGLE_APPLICATION_CREDENTIALS names it.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace fc::gcp {

struct PkeyFree {
  void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};

struct ServiceAccount {
  std::string client_email;
  std::string private_key_id;  // the JWT's kid; may be empty
  std::string token_uri;
  std::shared_ptr<EVP_PKEY> key;  // RSA
};

// Parses and validates the key JSON (type, client_email, private_key,
// token_uri). Throws fc::Error(FC_EINVAL) with a one-line message naming
// `source` and the field at fault; never repeats the key or the JSON.
ServiceAccount parse_service_account(std::string_view json, const std::string &source);

}  // namespace fc::gcp

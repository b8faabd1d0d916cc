#include "auth/gcp_service_account.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>

#include "util/error.h"
#include "util/strings.h"

namespace fc::gcp {

namespace {

std::string required_string(const rapidjson::Document &doc, const char *field, const std::string &source) {
  auto it = doc.FindMember(field);
  if (it == doc.MemberEnd()) fail(FC_EINVAL, source + ": field '" + field + "' is missing");
  if (!it->value.IsString() || it->value.GetStringLength() == 0)
    fail(FC_EINVAL, source + ": field '" + field + "' must be a non-empty string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::shared_ptr<EVP_PKEY> load_private_key(const std::string &pem, const std::string &source) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) fail(FC_EINTERNAL, "out of memory");
  // No passphrase callback: a key that asks for one is refused like any other.
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char *, int, int, void *) { return 0; }, nullptr);
  ERR_clear_error();  // OpenSSL's reasons may quote the input
  if (!key) fail(FC_EINVAL, source + ": field 'private_key' is not a PEM private key OpenSSL can load");
  std::shared_ptr<EVP_PKEY> owned(key, PkeyFree());
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
    fail(FC_EINVAL, source + ": field 'private_key' is not an RSA key (RS256 needs one)");
  return owned;
}

}  // namespace

ServiceAccount parse_service_account(std::string_view json, const std::string &source) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());  // deep nesting must not overflow the stack
  if (doc.HasParseError())
    fail(FC_EINVAL, source + " is not valid JSON (error at byte " + std::to_string(doc.GetErrorOffset()) + ")");
  if (!doc.IsObject()) fail(FC_EINVAL, source + " must be a JSON object (a service-account key)");

  std::string type = required_string(doc, "type", source);
  if (type != "service_account")
    fail(FC_EINVAL, source + ": field 'type' must be \"service_account\", got \"" + one_line(type) + "\"");
  ServiceAccount sa;
  sa.client_email = required_string(doc, "client_email", source);
  sa.token_uri = required_string(doc, "token_uri", source);
  if (!starts_with(sa.token_uri, "https://") && !starts_with(sa.token_uri, "http://"))
    fail(FC_EINVAL, source + ": field 'token_uri' must be an http(s) URL");
  auto kid = doc.FindMember("private_key_id");
  if (kid != doc.MemberEnd() && kid->value.IsString()) sa.private_key_id = kid->value.GetString();
  sa.key = load_private_key(required_string(doc, "private_key", source), source);
  return sa;
}

}  // namespace fc::gcp

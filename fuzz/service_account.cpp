// parse_service_account(): the service-account key JSON from GCP_SERVICE_ACCOUNT
// or GOOGLE_APPLICATION_CREDENTIALS, private key included. Input: the JSON.
#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/gcp_service_account.h"
#include "check.h"
#include "util/error.h"

namespace {

std::string string_field(const rapidjson::Document &doc, const char *name) {
  if (!doc.IsObject()) return {};
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view json(reinterpret_cast<const char *>(data), size);
  const std::string source = "GCP_SERVICE_ACCOUNT";
  try {
    fc::gcp::ServiceAccount sa = fc::gcp::parse_service_account(json, source);
    FUZZ_CHECK(sa.key && EVP_PKEY_get_base_id(sa.key.get()) == EVP_PKEY_RSA);
    FUZZ_CHECK(!sa.client_email.empty());
    FUZZ_CHECK(sa.token_uri.rfind("https://", 0) == 0 || sa.token_uri.rfind("http://", 0) == 0);
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
    std::string_view message = e.what();
    FUZZ_CHECK(message.rfind(source, 0) == 0);
    // The message never repeats the key. (Iterative parse: this oracle must
    // not overflow the stack on deep nesting, whatever the parser under test does.)
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
    constexpr std::string_view kPem = "-----BEGIN";
    std::string key = string_field(doc, "private_key");
    std::string type = string_field(doc, "type");  // echoed on purpose when it is wrong
    if (key.find(kPem) != std::string::npos && type.find(kPem) == std::string::npos)
      FUZZ_CHECK(message.find(kPem) == std::string_view::npos);
  }
  return 0;
}

#include "storage/s3_put_params.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>

#include "crypto/digest.h"
#include "util/error.h"

namespace fc {

namespace {

enum class Kind { String, Bool };

struct Param {
  const char *sdk_name;
  const char *header;
  Kind kind;
  bool on_reads;  // S3 needs it on GetObject/HeadObject as well
};

// PutObject's request headers, by the name the AWS SDKs give them.
constexpr Param kParams[] = {
    {"ACL", "x-amz-acl", Kind::String, false},
    {"CacheControl", "Cache-Control", Kind::String, false},
    {"ContentDisposition", "Content-Disposition", Kind::String, false},
    {"ContentEncoding", "Content-Encoding", Kind::String, false},
    {"ContentLanguage", "Content-Language", Kind::String, false},
    {"Expires", "Expires", Kind::String, false},
    {"GrantFullControl", "x-amz-grant-full-control", Kind::String, false},
    {"GrantRead", "x-amz-grant-read", Kind::String, false},
    {"GrantReadACP", "x-amz-grant-read-acp", Kind::String, false},
    {"GrantWriteACP", "x-amz-grant-write-acp", Kind::String, false},
    {"ServerSideEncryption", "x-amz-server-side-encryption", Kind::String, false},
    {"StorageClass", "x-amz-storage-class", Kind::String, false},
    {"WebsiteRedirectLocation", "x-amz-website-redirect-location", Kind::String, false},
    {"SSECustomerAlgorithm", "x-amz-server-side-encryption-customer-algorithm", Kind::String, true},
    {"SSECustomerKey", "x-amz-server-side-encryption-customer-key", Kind::String, true},
    {"SSECustomerKeyMD5", "x-amz-server-side-encryption-customer-key-MD5", Kind::String, true},
    {"SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id", Kind::String, false},
    {"SSEKMSEncryptionContext", "x-amz-server-side-encryption-context", Kind::String, false},
    {"BucketKeyEnabled", "x-amz-server-side-encryption-bucket-key-enabled", Kind::Bool, false},
    {"RequestPayer", "x-amz-request-payer", Kind::String, true},
    {"Tagging", "x-amz-tagging", Kind::String, false},
    {"ObjectLockMode", "x-amz-object-lock-mode", Kind::String, false},
    {"ObjectLockRetainUntilDate", "x-amz-object-lock-retain-until-date", Kind::String, false},
    {"ObjectLockLegalHoldStatus", "x-amz-object-lock-legal-hold", Kind::String, false},
    {"ExpectedBucketOwner", "x-amz-expected-bucket-owner", Kind::String, true},
};

// Parameters the plugin sets itself.
constexpr const char *kReserved[] = {"Body", "Bucket", "Key", "ContentType", "ContentLength", "ContentMD5"};

bool has_control_chars(std::string_view v) {
  for (char c : v)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

// S3 lowercases x-amz-meta-* names; HTTP allows only tokens there, and libcurl
// drops a header whose value is empty, which would break the signature.
bool is_header_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.'))
      return false;
  return true;
}

}  // namespace

S3PutParams parse_s3_put_params(std::string_view json, const std::string &label) {
  auto bad = [&label](const std::string &name, const std::string &why) {
    fail(FC_EINVAL, label + ": " + name + " " + why);
  };
  S3PutParams out;
  if (json.empty()) return out;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());  // iterative: deep nesting must not overflow the stack
  if (doc.HasParseError())
    fail(FC_EINVAL, label + " is not valid JSON: " + rapidjson::GetParseError_En(doc.GetParseError()) +
                        " at byte " + std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject()) fail(FC_EINVAL, label + " must be a JSON object");

  bool has_customer_key = false, has_customer_key_md5 = false;
  std::string customer_key;
  for (auto &member : doc.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    for (const char *r : kReserved)
      if (name == r) bad(name, "is set by the plugin and cannot be overridden");
    if (name == "Metadata") {
      if (!member.value.IsObject()) bad(name, "must be an object of strings");
      for (auto &m : member.value.GetObject()) {
        std::string key(m.name.GetString(), m.name.GetStringLength());
        if (!m.value.IsString()) bad("Metadata." + key, "must be a string");
        if (key == "uploader") bad("Metadata.uploader", "is set by the plugin (the node id)");
        std::string value(m.value.GetString(), m.value.GetStringLength());
        if (!is_header_token(key) || value.empty() || has_control_chars(value))
          bad("Metadata." + key,
              "needs a name of letters, digits, '-', '_' or '.' and a non-empty value without control characters");
        out.put_headers.emplace_back("x-amz-meta-" + key, value);
      }
      continue;
    }
    const Param *param = nullptr;
    for (const Param &p : kParams)
      if (name == p.sdk_name) param = &p;
    if (!param) bad("'" + name + "'", "is not a supported PutObject parameter");
    std::string value;
    if (param->kind == Kind::Bool) {
      if (!member.value.IsBool()) bad(name, "must be true or false");
      value = member.value.GetBool() ? "true" : "false";
    } else {
      if (!member.value.IsString()) bad(name, "must be a string");
      value.assign(member.value.GetString(), member.value.GetStringLength());
      if (value.empty() || has_control_chars(value)) bad(name, "must be a non-empty string without control characters");
    }
    if (name == "SSECustomerKey") {
      has_customer_key = true;
      customer_key = value;
    }
    if (name == "SSECustomerKeyMD5") has_customer_key_md5 = true;
    out.put_headers.emplace_back(param->header, value);
    if (param->on_reads) out.read_headers.emplace_back(param->header, value);
  }
  // The SDKs compute the key's MD5 for the caller; so do we.
  if (has_customer_key && !has_customer_key_md5) {
    std::string raw_key;
    if (!crypto::base64_decode(customer_key, &raw_key)) bad("SSECustomerKey", "must be base64");
    std::string md5 = crypto::md5_base64(raw_key);
    out.put_headers.emplace_back("x-amz-server-side-encryption-customer-key-MD5", md5);
    out.read_headers.emplace_back("x-amz-server-side-encryption-customer-key-MD5", md5);
  }
  return out;
}

}  // namespace fc

#include "crypto/digest.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "util/error.h"

namespace fc::crypto {

namespace {

// Explicit fetches avoid OpenSSL 3's implicit per-call algorithm lookup.
const EVP_MD *sha256_md() {
  static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) fail(FC_EINTERNAL, "OpenSSL has no SHA256 implementation");
  return md;
}

const EVP_MD *md5_md() {
  static EVP_MD *md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  if (!md) fail(FC_EINTERNAL, "OpenSSL has no MD5 implementation");
  return md;
}

EVP_MAC *hmac_mac() {
  static EVP_MAC *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!mac) fail(FC_EINTERNAL, "OpenSSL has no HMAC implementation");
  return mac;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX *c) const { EVP_MAC_CTX_free(c); }
};

EVP_MD_CTX *thread_md_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) fail(FC_EINTERNAL, "out of memory (EVP_MD_CTX_new)");
  return ctx.get();
}

// One HMAC-SHA256 context per thread, with the digest parameter set once; each
// EVP_MAC_init below only installs a new key.
EVP_MAC_CTX *thread_hmac_ctx() {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx([] {
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac_mac());
    if (!c) return c;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(c, params) != 1) {
      EVP_MAC_CTX_free(c);
      return static_cast<EVP_MAC_CTX *>(nullptr);
    }
    return c;
  }());
  if (!ctx) fail(FC_EINTERNAL, "cannot create an HMAC-SHA256 context");
  return ctx.get();
}

}  // namespace

Sha256 sha256(std::string_view data) {
  Sha256 out;
  EVP_MD_CTX *ctx = thread_md_ctx();
  if (EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), nullptr) != 1)
    fail(FC_EINTERNAL, "SHA-256 failed");
  return out;
}

Sha256 hmac_sha256(std::string_view key, std::string_view data) {
  Sha256 out;
  size_t out_len = 0;
  EVP_MAC_CTX *ctx = thread_hmac_ctx();
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char *>(key.data()), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char *>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &out_len, out.size()) != 1 || out_len != out.size())
    fail(FC_EINTERNAL, "HMAC-SHA256 failed");
  return out;
}

Sha256 hmac_sha256_chain(std::string_view key, std::initializer_list<std::string_view> messages) {
  Sha256 k;
  size_t out_len = 0;
  EVP_MAC_CTX *ctx = thread_hmac_ctx();
  const unsigned char *key_data = reinterpret_cast<const unsigned char *>(key.data());
  size_t key_len = key.size();
  for (std::string_view m : messages) {
    if (EVP_MAC_init(ctx, key_data, key_len, nullptr) != 1 ||
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char *>(m.data()), m.size()) != 1 ||
        EVP_MAC_final(ctx, k.data(), &out_len, k.size()) != 1 || out_len != k.size())
      fail(FC_EINTERNAL, "HMAC-SHA256 failed");
    key_data = k.data();  // OpenSSL copies the key at init, so k may be overwritten
    key_len = k.size();
  }
  return k;
}

std::string hex(const unsigned char *data, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '\0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

void append_hex(std::string &out, const Sha256 &d) {
  static const char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + 2 * d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    out[at + 2 * i] = kHex[d[i] >> 4];
    out[at + 2 * i + 1] = kHex[d[i] & 0xf];
  }
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                          reinterpret_cast<const unsigned char *>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string *out) {
  if (text.size() % 4 != 0) return false;
  for (char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '/' || c == '='))
      return false;
  std::string buf(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(buf.data()),
                          reinterpret_cast<const unsigned char *>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock keeps the bytes the padding stands for: drop them.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  buf.resize(static_cast<size_t>(n) - pad);
  *out = std::move(buf);
  return true;
}

std::string md5_base64(std::string_view data) {
  unsigned char digest[16];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md5_md(), nullptr) != 1)
    fail(FC_EINTERNAL, "MD5 failed");
  return base64(std::string_view(reinterpret_cast<char *>(digest), len));
}

DigestStream::DigestStream(Algorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD *md = algorithm == Algorithm::md5 ? md5_md() : sha256_md();
  if (!ctx_ || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    fail(FC_EINTERNAL, "cannot start a digest");
  }
}

DigestStream::~DigestStream() { EVP_MD_CTX_free(ctx_); }

void DigestStream::update(const void *data, size_t len) {
  if (EVP_DigestUpdate(ctx_, data, len) != 1) fail(FC_EINTERNAL, "digest update failed");
}

void DigestStream::finish_into(unsigned char *out) {
  if (EVP_DigestFinal_ex(ctx_, out, nullptr) != 1) fail(FC_EINTERNAL, "digest failed");
}

Sha256 Sha256Stream::finish() {
  Sha256 out;
  finish_into(out.data());
  return out;
}

std::string Md5Stream::finish() {
  unsigned char out[16];
  finish_into(out);
  return std::string(reinterpret_cast<char *>(out), sizeof out);
}

}  // namespace fc::crypto

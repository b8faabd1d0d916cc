// SHA-256, HMAC-SHA256, hex and base64 on OpenSSL EVP. Algorithms are fetched once
// per process; contexts are reused per thread, so hashing allocates nothing.
#pragma once

#include <array>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace fc::crypto {

using Sha256 = std::array<unsigned char, 32>;

Sha256 sha256(std::string_view data);
Sha256 hmac_sha256(std::string_view key, std::string_view data);
// key_n = HMAC(key_{n-1}, message_n), starting from `key`; returns the last key.
Sha256 hmac_sha256_chain(std::string_view key, std::initializer_list<std::string_view> messages);
std::string hex(const unsigned char *data, size_t len);
inline std::string hex(const Sha256 &d) { return hex(d.data(), d.size()); }
void append_hex(std::string &out, const Sha256 &d);
std::string base64(std::string_view data);
// Strict decoding: returns false on characters outside the alphabet or bad padding.
bool base64_decode(std::string_view text, std::string *out);
std::string md5_base64(std::string_view data);
inline std::string_view as_view(const Sha256 &d) {
  return std::string_view(reinterpret_cast<const char *>(d.data()), d.size());
}

// Incremental SHA-256 for streamed bodies.
// A digest computed over data that arrives in pieces.
class DigestStream {
 public:
  DigestStream(const DigestStream &) = delete;
  DigestStream &operator=(const DigestStream &) = delete;
  void update(const void *data, size_t len);

 protected:
  enum class Algorithm { sha256, md5 };
  explicit DigestStream(Algorithm algorithm);
  ~DigestStream();
  void finish_into(unsigned char *out);

 private:
  EVP_MD_CTX *ctx_;
};

class Sha256Stream : public DigestStream {
 public:
  Sha256Stream() : DigestStream(Algorithm::sha256) {}
  Sha256 finish();
};

// MD5, for stores that check uploads with it (GCS's md5Hash); never for security.
class Md5Stream : public DigestStream {
 public:
  Md5Stream() : DigestStream(Algorithm::md5) {}
  std::string finish();  // the 16 raw bytes
};

}  // namespace fc::crypto

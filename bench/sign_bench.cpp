// Cost of signing one request, against a floor measured in the same run: the
// bare OpenSSL work SigV4 cannot avoid (the five-HMAC key chain plus SHA-256 of
// a canonical request of the same size). bench/run_sign_bench.sh turns the
// results into ratios.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <ctime>
#include <string>

#include "auth/sigv4.h"

namespace {

// A PutObject as the plugin sends it.
fc::sigv4::Request typical_request() {
  fc::sigv4::Request req;
  req.method = "PUT";
  req.path = "/kong-backups/prod/dp/3.9.1.0/config.json";
  req.headers = {{"Host", "kong-backups.s3.eu-west-1.amazonaws.com"},
                 {"Content-Type", "application/json"},
                 {"x-amz-meta-uploader", "6a1c3f0e-2f41-4b7e-9d52-0c1b2a3d4e5f"},
                 {"x-amz-server-side-encryption", "aws:kms"}};
  req.payload_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  return req;
}

fc::sigv4::Params typical_params() {
  fc::sigv4::Params p;
  p.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  p.region = "eu-west-1";
  p.service = "s3";
  p.time = 1764115200;
  p.rules = fc::sigv4::Rules::S3;
  return p;
}

// The floor: the same OpenSSL work done bare, at its fastest: algorithms fetched
// once, one reused HMAC context and one reused digest context, no strings built.
void BM_Floor_HmacChainPlusSha256(benchmark::State &state) {
  const std::string canonical = fc::sigv4::Signer().sign(typical_request(), typical_params()).canonical_request;
  const std::string string_to_sign(130, 's');
  const std::string secret = "AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  EVP_MD *sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MAC *hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX *mac = EVP_MAC_CTX_new(hmac);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC_CTX_set_params(mac, params);
  unsigned char k[32], digest[32];
  size_t out_len = 0;
  auto hmac_step = [&](const void *key, size_t key_len, const void *data, size_t len) {
    EVP_MAC_init(mac, static_cast<const unsigned char *>(key), key_len, nullptr);
    EVP_MAC_update(mac, static_cast<const unsigned char *>(data), len);
    EVP_MAC_final(mac, k, &out_len, sizeof k);
  };
  for (auto _ : state) {
    EVP_DigestInit_ex(md, sha256, nullptr);
    EVP_DigestUpdate(md, canonical.data(), canonical.size());
    EVP_DigestFinal_ex(md, digest, nullptr);
    hmac_step(secret.data(), secret.size(), "20251126", 8);
    hmac_step(k, 32, "eu-west-1", 9);
    hmac_step(k, 32, "s3", 2);
    hmac_step(k, 32, "aws4_request", 12);
    hmac_step(k, 32, string_to_sign.data(), string_to_sign.size());
    benchmark::DoNotOptimize(k);
    benchmark::DoNotOptimize(digest);
  }
  EVP_MD_CTX_free(md);
  EVP_MAC_CTX_free(mac);
  EVP_MAC_free(hmac);
  EVP_MD_free(sha256);
}
BENCHMARK(BM_Floor_HmacChainPlusSha256);

// A long-lived signer: the signing key is derived once per day and reused.
void BM_Sign_CachedKey(benchmark::State &state) {
  fc::sigv4::Signer signer;
  const fc::sigv4::Request req = typical_request();
  const fc::sigv4::Params params = typical_params();
  for (auto _ : state) benchmark::DoNotOptimize(signer.sign(req, params));
}
BENCHMARK(BM_Sign_CachedKey);

// A fresh signer per request: the whole key chain every time.
void BM_Sign_UncachedKey(benchmark::State &state) {
  const fc::sigv4::Request req = typical_request();
  const fc::sigv4::Params params = typical_params();
  for (auto _ : state) {
    fc::sigv4::Signer signer;
    benchmark::DoNotOptimize(signer.sign(req, params));
  }
}
BENCHMARK(BM_Sign_UncachedKey);

}  // namespace

BENCHMARK_MAIN();

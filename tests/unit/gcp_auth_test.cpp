// Service-account keys and the RS256 JWT for Google's token endpoint. The known
// answer (tests/fixtures/gcp/assertion.jwt) was signed by the openssl CLI.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>
#include <sstream>
#include <string>

#include "auth/gcp_service_account.h"
#include "auth/gcp_token_source.h"
#include "auth/jwt.h"
#include "util/error.h"

namespace {

std::string fixture(const std::string &name) {
  std::ifstream in(std::string(FC_TEST_FIXTURES) + "/gcp/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fixture's JSON with one field replaced (or removed when value is null).
std::string with_field(const char *field, const char *value) {
  rapidjson::Document doc;
  doc.Parse(fixture("service-account.json").c_str());
  doc.RemoveMember(field);
  if (value) doc.AddMember(rapidjson::StringRef(field), rapidjson::Value(value, doc.GetAllocator()), doc.GetAllocator());
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  doc.Accept(w);
  return out.GetString();
}

std::string error_of(const std::string &json) {
  try {
    fc::gcp::parse_service_account(json, "GCP_SERVICE_ACCOUNT");
  } catch (const fc::Error &e) {
    EXPECT_EQ(e.status(), FC_EINVAL);
    return e.what();
  }
  return "(no error)";
}

const char *kScope = "https://www.googleapis.com/auth/devstorage.read_write";

}  // namespace

TEST(Jwt, Base64UrlHasNoPaddingAndUrlSafeLetters) {
  // RFC 7515 appendix C: the octets 3, 236, 255, 224, 193.
  EXPECT_EQ(fc::jwt::base64url(std::string("\x03\xec\xff\xe0\xc1", 5)), "A-z_4ME");
  EXPECT_EQ(fc::jwt::base64url("f"), "Zg");
  EXPECT_EQ(fc::jwt::base64url(""), "");
}

TEST(Jwt, ServiceAccountAssertionMatchesOpensslsSignature) {
  fc::gcp::ServiceAccount sa = fc::gcp::parse_service_account(fixture("service-account.json"), "test");
  std::string expected = fixture("assertion.jwt");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  EXPECT_EQ(fc::jwt::service_account_assertion(sa, kScope, 1700000000), expected);
}

TEST(Jwt, SignatureVerifiesWithThePublicKey) {
  fc::gcp::ServiceAccount sa = fc::gcp::parse_service_account(fixture("service-account.json"), "test");
  std::string token = fc::jwt::service_account_assertion(sa, kScope, 1800000000);
  size_t dot = token.rfind('.');
  std::string input = token.substr(0, dot), sig64 = token.substr(dot + 1);
  for (char &c : sig64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (sig64.size() % 4) sig64 += '=';
  std::string pub = fixture("test-key.pub.pem");
  BIO *bio = BIO_new_mem_buf(pub.data(), static_cast<int>(pub.size()));
  EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(key, nullptr);
  std::string sig(512, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(sig.data()),
                          reinterpret_cast<const unsigned char *>(sig64.data()), static_cast<int>(sig64.size()));
  ASSERT_GE(n, 256);  // EVP_DecodeBlock counts the padding as zero bytes
  sig.resize(256);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char *>(input.data()), input.size()),
            1);
  input[5] ^= 1;  // and a changed claim does not
  EXPECT_NE(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char *>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
}

TEST(Jwt, ClaimsAreGooglesWithAnHourOfLifetime) {
  fc::gcp::ServiceAccount sa = fc::gcp::parse_service_account(fixture("service-account.json"), "test");
  EXPECT_EQ(fc::jwt::assertion_header(sa), R"({"alg":"RS256","typ":"JWT","kid":"0123456789abcdef0123456789abcdef01234567"})");
  EXPECT_EQ(fc::jwt::assertion_claims(sa, kScope, 100),
            R"({"iss":"fallback-config@fc-test.iam.gserviceaccount.com","scope":")" + std::string(kScope) +
                R"(","aud":"https://oauth2.googleapis.com/token","iat":100,"exp":3700})");
  sa.private_key_id.clear();
  EXPECT_EQ(fc::jwt::assertion_header(sa), R"({"alg":"RS256","typ":"JWT"})");
}

TEST(ServiceAccount, EveryMissingOrBadFieldIsNamedAndTheKeyNeverRepeated) {
  for (const char *field : {"type", "client_email", "private_key", "token_uri"}) {
    EXPECT_EQ(error_of(with_field(field, nullptr)), std::string("GCP_SERVICE_ACCOUNT: field '") + field + "' is missing");
    EXPECT_EQ(error_of(with_field(field, "")),
              std::string("GCP_SERVICE_ACCOUNT: field '") + field + "' must be a non-empty string");
  }
  EXPECT_EQ(error_of(with_field("type", "authorized_user")),
            "GCP_SERVICE_ACCOUNT: field 'type' must be \"service_account\", got \"authorized_user\"");
  EXPECT_EQ(error_of(with_field("token_uri", "ftp://x")), "GCP_SERVICE_ACCOUNT: field 'token_uri' must be an http(s) URL");
  std::string broken = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END PRIVATE KEY-----\n";
  std::string err = error_of(with_field("private_key", broken.c_str()));
  EXPECT_EQ(err, "GCP_SERVICE_ACCOUNT: field 'private_key' is not a PEM private key OpenSSL can load");
  EXPECT_EQ(err.find("MII"), std::string::npos);
  std::string cut = "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN";
  EXPECT_EQ(error_of(cut), "GCP_SERVICE_ACCOUNT is not valid JSON (error at byte " + std::to_string(cut.size()) + ")")
      << "the input ends inside a string";
  EXPECT_EQ(error_of("[]"), "GCP_SERVICE_ACCOUNT must be a JSON object (a service-account key)");
}

TEST(ServiceAccount, RefusesKeysThatAreNotRsa) {
  EVP_PKEY *ec = EVP_EC_gen("P-256");
  ASSERT_NE(ec, nullptr);
  BIO *bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char *pem = nullptr;
  long len = BIO_get_mem_data(bio, &pem);
  std::string text(pem, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(ec);
  EXPECT_EQ(error_of(with_field("private_key", text.c_str())),
            "GCP_SERVICE_ACCOUNT: field 'private_key' is not an RSA key (RS256 needs one)");
}

namespace {

// A token source that counts fetches and takes its time, like a token endpoint.
class SlowTokens : public fc::gcp::TokenSource {
 public:
  explicit SlowTokens(std::time_t lifetime) : lifetime_(lifetime) {}
  std::atomic<int> fetches{0};

 protected:
  fc::gcp::AccessToken fetch() override {
    int n = ++fetches;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return {"token-" + std::to_string(n), std::time(nullptr) + lifetime_};
  }

 private:
  std::time_t lifetime_;
};

}  // namespace

TEST(TokenSource, ManyThreadsShareOneRefresh) {
  SlowTokens tokens(3600);
  std::vector<std::thread> threads;
  std::vector<std::string> seen(16);
  for (int i = 0; i < 16; ++i) threads.emplace_back([&, i] { seen[i] = tokens.token(); });
  for (auto &t : threads) t.join();
  EXPECT_EQ(tokens.fetches.load(), 1);
  for (const std::string &s : seen) EXPECT_EQ(s, "token-1");
  EXPECT_EQ(tokens.refreshes(), 1u);
}

TEST(TokenSource, RefreshesAMinuteBeforeExpiryAndAfterARefusal) {
  SlowTokens short_lived(30);  // inside the one-minute margin: never reused
  EXPECT_EQ(short_lived.token(), "token-1");
  EXPECT_EQ(short_lived.token(), "token-2");

  SlowTokens tokens(3600);
  EXPECT_EQ(tokens.token(), "token-1");
  tokens.invalidate("some-older-token");  // refused a token already replaced: keep the new one
  EXPECT_EQ(tokens.token(), "token-1");
  tokens.invalidate("token-1");
  EXPECT_EQ(tokens.token(), "token-2");
}

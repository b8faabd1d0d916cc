// Known answers published by AWS: the S3 API reference's signing examples
// (examplebucket, 20130524T000000Z) and cases of the SigV4 test suite
// (aws-c-auth's tests/aws-signing-test-suite/v4: the request as written, the
// signature of its header-signed form).
#include <gtest/gtest.h>

#include "auth/raw_request.h"
#include "auth/sigv4.h"
#include "crypto/digest.h"
#include "util/time.h"

using namespace fc;

namespace {

sigv4::Params s3_example_params() {
  sigv4::Params p;
  p.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  p.region = "us-east-1";
  p.service = "s3";
  EXPECT_TRUE(parse_iso8601_utc("20130524T000000Z", &p.time));
  p.rules = sigv4::Rules::S3;
  return p;
}

std::string signature_of(const sigv4::Request &req, const sigv4::Params &params) {
  return sigv4::Signer().sign(req, params).signature;
}

}  // namespace

TEST(SigV4KnownAnswers, S3GetObjectWithRange) {
  sigv4::Request req;
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  sigv4::Signature sig = sigv4::Signer().sign(req, s3_example_params());
  EXPECT_EQ(sig.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4KnownAnswers, S3PutObjectKeyEncodedOnce) {
  sigv4::Request req;
  req.method = "PUT";
  req.path = "/test$file.text";
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  req.payload_hash = crypto::hex(crypto::sha256("Welcome to Amazon S3."));
  EXPECT_EQ(req.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  sigv4::Signature sig = sigv4::Signer().sign(req, s3_example_params());
  EXPECT_NE(sig.canonical_request.find("\n/test%24file.text\n"), std::string::npos);
  EXPECT_EQ(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4KnownAnswers, S3GetBucketLifecycle) {
  sigv4::Request req;
  req.method = "GET";
  req.path = "/";
  req.query = {{"lifecycle", ""}};
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  EXPECT_EQ(signature_of(req, s3_example_params()),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4KnownAnswers, S3ListObjects) {
  sigv4::Request req;
  req.method = "GET";
  req.path = "/";
  req.query = {{"max-keys", "2"}, {"prefix", "J"}};
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  sigv4::Signature sig = sigv4::Signer().sign(req, s3_example_params());
  EXPECT_NE(sig.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos);
  EXPECT_EQ(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// aws-sig-v4-test-suite, post-sts-token/post-sts-header-before: the session
// token is a signed header.
TEST(SigV4KnownAnswers, SessionTokenIsSigned) {
  sigv4::Params p;
  p.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                   "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
                   "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0w"
                   "q5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC"
                   "9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="};
  p.region = "us-east-1";
  p.service = "service";
  ASSERT_TRUE(parse_iso8601_utc("20150830T123600Z", &p.time));
  p.rules = sigv4::Rules::Generic;
  sigv4::Request req;
  req.method = "POST";
  req.path = "/";
  req.headers = {{"Host", "example.amazonaws.com"}};
  sigv4::Signature sig = sigv4::Signer().sign(req, p);
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
  // Generic rules add no payload-hash header.
  for (const auto &h : sig.added_headers) EXPECT_NE(h.first, "x-amz-content-sha256");
}

// The suite's generic cases, from the raw request through the parser `sign` uses.
TEST(SigV4KnownAnswers, TestSuiteRawRequests) {
  struct Case {
    const char *name;
    const char *request;
    bool normalize;
    const char *canonical_uri;
    const char *signature;
  };
  const Case cases[] = {
      {"get-vanilla", "GET / HTTP/1.1\nHost:example.amazonaws.com\n", true, "/",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-utf8", "GET /\xE1\x88\xB4 HTTP/1.1\nHost:example.amazonaws.com\n", true, "/%E1%88%B4",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space-normalized", "GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\n", true,
       "/example%20space/", "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-space-unnormalized", "GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\n", false,
       "/example%20space/", "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-header-value-multiline",
       "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n     value3\n", true, "/",
       "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"},
      {"get-header-value-trim", "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\nMy-Header2: \"a   b   c\"\n",
       true, "/", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-header-key-duplicate",
       "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n", true,
       "/", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-relative-relative-normalized", "GET /example1/example2/../.. HTTP/1.1\nHost:example.amazonaws.com\n",
       true, "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-relative-relative-unnormalized", "GET /example1/example2/../.. HTTP/1.1\nHost:example.amazonaws.com\n",
       false, "/example1/example2/../..", "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"},
      {"get-slash-dot-slash-unnormalized", "GET /./ HTTP/1.1\nHost:example.amazonaws.com\n", false, "/./",
       "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145"},
      {"get-slash-pointless-dot-normalized", "GET /./example HTTP/1.1\nHost:example.amazonaws.com\n", true,
       "/example", "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {"get-slashes-normalized", "GET //example// HTTP/1.1\nHost:example.amazonaws.com\n", true, "/example/",
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"get-slashes-unnormalized", "GET //example// HTTP/1.1\nHost:example.amazonaws.com\n", false, "//example//",
       "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"},
      {"get-unreserved",
       "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example.amazonaws.com\n",
       true, "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
  };
  sigv4::Params p;
  p.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  p.region = "us-east-1";
  p.service = "service";
  ASSERT_TRUE(parse_iso8601_utc("20150830T123600Z", &p.time));
  p.rules = sigv4::Rules::Generic;
  sigv4::Signer signer;
  for (const Case &c : cases) {
    p.normalize_path = c.normalize;
    sigv4::Signature sig = signer.sign(parse_raw_request(c.request).for_signing(sigv4::Rules::Generic), p);
    EXPECT_EQ(sig.canonical_request.substr(0, sig.canonical_request.find('\n', 4)),
              std::string("GET\n") + c.canonical_uri)
        << c.name;
    EXPECT_EQ(sig.signature, c.signature) << c.name << "\n" << sig.canonical_request;
  }
}

TEST(SigV4, CachedKeyGivesTheSameSignatureAndRotatedSecretDoesNot) {
  sigv4::Signer signer;
  sigv4::Request req;
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  sigv4::Params p = s3_example_params();
  std::string first = signer.sign(req, p).signature;
  EXPECT_EQ(signer.sign(req, p).signature, first);
  p.credentials.secret_access_key = "another-secret";
  EXPECT_NE(signer.sign(req, p).signature, first);
}

TEST(SigV4, CanonicalUriRules) {
  EXPECT_EQ(sigv4::canonical_uri("/a b/c+d/ü", sigv4::Rules::S3, true), "/a%20b/c%2Bd/%C3%BC");
  EXPECT_EQ(sigv4::canonical_uri("/a//b/./c/../d", sigv4::Rules::S3, true), "/a//b/./c/../d");
  EXPECT_EQ(sigv4::canonical_uri("/a//b/./c/../d", sigv4::Rules::Generic, true), "/a/b/d");
  // Generic rules encode the path as written once more.
  EXPECT_EQ(sigv4::canonical_uri("/a%20b", sigv4::Rules::Generic, true), "/a%2520b");
  EXPECT_EQ(sigv4::canonical_uri("/a b", sigv4::Rules::Generic, true), "/a%20b");
  EXPECT_EQ(sigv4::canonical_uri("/%E1", sigv4::Rules::Generic, false), "/%25E1");
  EXPECT_EQ(sigv4::canonical_uri("/a//b", sigv4::Rules::Generic, false), "/a//b");
  EXPECT_EQ(sigv4::canonical_uri("", sigv4::Rules::S3, true), "/");
}

TEST(SigV4, CanonicalQuerySortsByEncodedNameThenValue) {
  EXPECT_EQ(sigv4::canonical_query_string({{"b", "2"}, {"a", "z"}, {"a", "y"}, {"c d", "e=f&"}}),
            "a=y&a=z&b=2&c%20d=e%3Df%26");
  EXPECT_EQ(sigv4::canonical_query_string({}), "");
}

TEST(SigV4, CanonicalHeadersTrimJoinAndSort) {
  sigv4::CanonicalHeaders h =
      sigv4::canonical_headers({{"X-B", "  two   words  "}, {"host", "h"}, {"x-b", "second"}, {"X-A", "a\tb"}});
  EXPECT_EQ(h.block, "host:h\nx-a:a b\nx-b:two words,second\n");
  EXPECT_EQ(h.signed_headers, "host;x-a;x-b");
}

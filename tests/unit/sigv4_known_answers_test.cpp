// Known answers published by AWS: the S3 API reference's signing examples
// (examplebucket, 20130524T000000Z) and the SigV4 test suite's session-token case.
#include <gtest/gtest.h>

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
  EXPECT_EQ(sigv4::canonical_uri("/a b", sigv4::Rules::Generic, true), "/a%2520b");
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

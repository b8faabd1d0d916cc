#include <gtest/gtest.h>

#include "auth/raw_request.h"
#include "util/error.h"

using namespace fc;

TEST(RawRequest, ParsesRequestLineHeadersAndBody) {
  RawRequest r = parse_raw_request(
      "PUT /bucket/a%20b/c+d?x=1&flag&y=%2F HTTP/1.1\r\nHost: h:7480\r\nX-Amz-Meta-A:  v  \r\n\r\nbody\r\nmore");
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, "/bucket/a%20b/c+d");  // as written
  ASSERT_EQ(r.query.size(), 3u);
  EXPECT_EQ(r.query[1], (std::pair<std::string, std::string>("flag", "")));
  EXPECT_EQ(r.query[2].second, "/");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].first, "X-Amz-Meta-A");
  EXPECT_EQ(r.body, "body\r\nmore");
}

TEST(RawRequest, S3SignsTheDecodedKeyGenericRulesThePathAsWritten) {
  RawRequest r = parse_raw_request("GET /bucket/a%20b/%E1%88%B4 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.for_signing(sigv4::Rules::S3).path, "/bucket/a b/\xE1\x88\xB4");
  EXPECT_EQ(r.for_signing(sigv4::Rules::Generic).path, "/bucket/a%20b/%E1%88%B4");
  EXPECT_EQ(r.for_signing(sigv4::Rules::S3).payload_hash,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RawRequest, APathWithSpacesKeepsTheMethodFirstAndTheVersionLast) {
  RawRequest r = parse_raw_request("GET /example space/ HTTP/1.1\r\nHost: example.amazonaws.com\r\n\r\n");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/example space/");
  r = parse_raw_request("GET /a b c?q=1 2 HTTP/1.1\n\n");
  EXPECT_EQ(r.path, "/a b c");
  ASSERT_EQ(r.query.size(), 1u);
  EXPECT_EQ(r.query[0].second, "1 2");
}

TEST(RawRequest, FoldedHeaderLinesJoinThePreviousValue) {
  // AWS's get-header-value-multiline request, with a tab-folded line added.
  RawRequest r = parse_raw_request(
      "GET / HTTP/1.1\r\nHost:example.amazonaws.com\r\nMy-Header1:value1\r\n  value2\r\n     value3\r\n"
      "My-Header2: a\r\n\tb\r\n\r\n");
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[1].second, "value1 value2 value3");
  EXPECT_EQ(r.headers[2].second, " a b");
}

TEST(RawRequest, AcceptsBareLfAndNoBody) {
  RawRequest r = parse_raw_request("\nGET / HTTP/1.1\nHost: x\n");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.body, "");
}

TEST(RawRequest, RejectsMalformedInputWithoutEchoingIt) {
  for (const char *bad : {"", "GET\r\n\r\n", "GET /x\r\n", "GET x HTTP/1.1\r\n", "G@T / HTTP/1.1\r\n",
                          "GET / FTP/1.1\r\n", "GET  HTTP/1.1\r\n", "GET / HTTP/1.1\r\nNoColonSecretValue\r\n",
                          "GET / HTTP/1.1\r\n foldedSecretValue\r\n"}) {
    try {
      parse_raw_request(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), FC_EINVAL);
      EXPECT_EQ(std::string(e.what()).find("SecretValue"), std::string::npos);
    }
  }
}

TEST(RawRequest, ABadEscapeFailsOnlyWhereThePathIsDecoded) {
  RawRequest r = parse_raw_request("GET /%zz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.for_signing(sigv4::Rules::Generic).path, "/%zz");
  try {
    r.for_signing(sigv4::Rules::S3);
    ADD_FAILURE() << "S3 rules decoded a bad escape";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_EINVAL);
  }
}

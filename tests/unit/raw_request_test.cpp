#include <gtest/gtest.h>

#include "http/raw_request.h"
#include "util/error.h"

using namespace fc;

TEST(RawRequest, ParsesRequestLineHeadersAndBody) {
  RawRequest r = parse_raw_request(
      "PUT /bucket/a%20b/c+d?x=1&flag&y=%2F HTTP/1.1\r\nHost: h:7480\r\nX-Amz-Meta-A:  v  \r\n\r\nbody\r\nmore");
  EXPECT_EQ(r.request.method, "PUT");
  EXPECT_EQ(r.request.path, "/bucket/a b/c+d");
  ASSERT_EQ(r.request.query.size(), 3u);
  EXPECT_EQ(r.request.query[1], (std::pair<std::string, std::string>("flag", "")));
  EXPECT_EQ(r.request.query[2].second, "/");
  ASSERT_EQ(r.request.headers.size(), 2u);
  EXPECT_EQ(r.request.headers[1].first, "X-Amz-Meta-A");
  EXPECT_EQ(r.body, "body\r\nmore");
}

TEST(RawRequest, AcceptsBareLfAndNoBody) {
  RawRequest r = parse_raw_request("\nGET / HTTP/1.1\nHost: x\n");
  EXPECT_EQ(r.request.path, "/");
  EXPECT_EQ(r.body, "");
}

TEST(RawRequest, RejectsMalformedInputWithoutEchoingIt) {
  for (const char *bad : {"", "GET\r\n\r\n", "GET /x\r\n", "GET x HTTP/1.1\r\n", "G@T / HTTP/1.1\r\n",
                          "GET / HTTP/1.1\r\nNoColonSecretValue\r\n", "GET / HTTP/1.1\r\n folded\r\n",
                          "GET /%zz HTTP/1.1\r\n"}) {
    try {
      parse_raw_request(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), FC_EINVAL);
      EXPECT_EQ(std::string(e.what()).find("SecretValue"), std::string::npos);
    }
  }
}

// Error answers RGW cannot produce here (region redirects) and the mapping of
// every S3 error to a status and a one-line message.
#include <gtest/gtest.h>

#include "storage/s3_errors.h"
#include "util/error.h"

using namespace fc;

namespace {

struct Caught {
  fc_status status;
  std::string message;
};

Caught caught(const http::Response &resp, bool object_request = true) {
  S3ErrorContext ctx{"GetObject", "s3://bkt/kong/3.9.0.0/config.json", "bkt", "us-east-1", object_request};
  try {
    throw_s3_error(ctx, resp);
  } catch (const Error &e) {
    return {e.status(), e.what()};
  }
  return {FC_OK, ""};
}

http::Response response(long status, std::string body, http::Headers headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

}  // namespace

TEST(S3Errors, MissingKeyNamesTheKey) {
  Caught c = caught(response(404, "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"));
  EXPECT_EQ(c.status, FC_ENOTFOUND);
  EXPECT_EQ(c.message, "no fallback config at s3://bkt/kong/3.9.0.0/config.json");
  EXPECT_EQ(caught(response(404, "")).status, FC_ENOTFOUND);  // HEAD: no body
}

TEST(S3Errors, MissingBucketIsNotAMissingKey) {
  Caught c = caught(response(404, "<Error><Code>NoSuchBucket</Code><RequestId>r1</RequestId></Error>"));
  EXPECT_EQ(c.status, FC_ESTORAGE);
  EXPECT_EQ(c.message,
            "GetObject s3://bkt/kong/3.9.0.0/config.json: HTTP 404 NoSuchBucket (the bucket 'bkt' does not exist) "
            "(request id r1)");
}

TEST(S3Errors, RegionRedirectSaysWhichRegionToUse) {
  Caught c = caught(response(
      301, "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed "
           "using the specified endpoint.</Message><Endpoint>bkt.s3.eu-west-1.amazonaws.com</Endpoint></Error>",
      {{"x-amz-bucket-region", "eu-west-1"}}));
  EXPECT_EQ(c.status, FC_ESTORAGE);
  EXPECT_EQ(c.message,
            "GetObject s3://bkt/kong/3.9.0.0/config.json: the bucket 'bkt' is in region eu-west-1, not us-east-1: "
            "set AWS_REGION=eu-west-1");
  // AuthorizationHeaderMalformed carries the region in the body instead.
  c = caught(response(400, "<Error><Code>AuthorizationHeaderMalformed</Code><Region>ap-south-1</Region></Error>"));
  EXPECT_NE(c.message.find("set AWS_REGION=ap-south-1"), std::string::npos);
}

TEST(S3Errors, AuthFailuresAndSkewAreExplained) {
  Caught c = caught(response(403, "<Error><Code>SignatureDoesNotMatch</Code><Message></Message></Error>",
                             {{"x-amz-request-id", "tx9"}}));
  EXPECT_EQ(c.status, FC_EAUTH);
  EXPECT_NE(c.message.find("HTTP 403 SignatureDoesNotMatch (check AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_NE(c.message.find("(request id tx9)"), std::string::npos);
  c = caught(response(403, "<Error><Code>RequestTimeTooSkewed</Code></Error>"));
  EXPECT_NE(c.message.find("check this host's clock"), std::string::npos);
}

TEST(S3Errors, OtherStatusesAndNonXmlBodies) {
  EXPECT_EQ(caught(response(412, "<Error><Code>PreconditionFailed</Code></Error>")).status, FC_EPRECONDITION);
  Caught c = caught(response(503, "<html>\n<body>Service Unavailable</body>\n</html>"), false);
  EXPECT_EQ(c.status, FC_ESTORAGE);
  EXPECT_EQ(c.message, "GetObject s3://bkt/kong/3.9.0.0/config.json: HTTP 503");
  c = caught(response(500, "<Error><Code>InternalError</Code><Message>We encountered\nan error</Message></Error>"));
  EXPECT_EQ(c.message.find('\n'), std::string::npos);
}

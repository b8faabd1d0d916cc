#include <gtest/gtest.h>

#include "storage/s3_put_params.h"
#include "util/error.h"

using namespace fc;

namespace {
std::string header(const http::Headers &h, const std::string &name) {
  for (const auto &p : h)
    if (p.first == name) return p.second;
  return "<absent>";
}
std::string error_of(const std::string &json) {
  try {
    parse_s3_put_params(json, "KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG");
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_EINVAL);
    return e.what();
  }
  return "";
}
}  // namespace

TEST(S3PutParams, MapsSdkNamesToHeaders) {
  S3PutParams p = parse_s3_put_params(
      R"({"ServerSideEncryption":"aws:kms","SSEKMSKeyId":"arn:aws:kms:k","StorageClass":"STANDARD_IA",
          "BucketKeyEnabled":true,"CacheControl":"no-cache","Metadata":{"team":"edge"},"ExpectedBucketOwner":"123"})",
      "s3_put_params");
  EXPECT_EQ(header(p.put_headers, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(header(p.put_headers, "x-amz-server-side-encryption-aws-kms-key-id"), "arn:aws:kms:k");
  EXPECT_EQ(header(p.put_headers, "x-amz-storage-class"), "STANDARD_IA");
  EXPECT_EQ(header(p.put_headers, "x-amz-server-side-encryption-bucket-key-enabled"), "true");
  EXPECT_EQ(header(p.put_headers, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(p.put_headers, "x-amz-meta-team"), "edge");
  EXPECT_EQ(header(p.read_headers, "x-amz-expected-bucket-owner"), "123");
  EXPECT_EQ(header(p.read_headers, "x-amz-storage-class"), "<absent>");
  EXPECT_TRUE(parse_s3_put_params("", "s3_put_params").put_headers.empty());
}

TEST(S3PutParams, CustomerKeyGoesOnReadsAndGetsItsMd5) {
  // 32 zero bytes, base64; expected MD5 from `head -c 32 /dev/zero | openssl md5 -binary | base64`.
  S3PutParams p = parse_s3_put_params(
      R"({"SSECustomerAlgorithm":"AES256","SSECustomerKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})",
      "s3_put_params");
  EXPECT_EQ(header(p.read_headers, "x-amz-server-side-encryption-customer-algorithm"), "AES256");
  EXPECT_EQ(header(p.read_headers, "x-amz-server-side-encryption-customer-key-MD5"), "cLyPS3KoaSFGi/joRB3OUQ==");
}

TEST(S3PutParams, RejectsBadInputNamingTheSettingAndTheParameterNeverTheValue) {
  EXPECT_EQ(error_of("{").rfind("KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG is not valid JSON", 0), 0u);
  EXPECT_EQ(error_of(R"({"Bogus":"x"})").rfind("KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG: 'Bogus'", 0), 0u);
  EXPECT_NE(error_of("[]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"Bogus":"x"})").find("'Bogus' is not a supported"), std::string::npos);
  EXPECT_NE(error_of(R"({"Key":"x"})").find("Key is set by the plugin"), std::string::npos);
  EXPECT_NE(error_of(R"({"StorageClass":1})").find("StorageClass must be a string"), std::string::npos);
  EXPECT_NE(error_of(R"({"BucketKeyEnabled":"yes"})").find("true or false"), std::string::npos);
  EXPECT_NE(error_of(R"({"Metadata":{"a":""}})").find("Metadata.a needs"), std::string::npos);
  EXPECT_NE(error_of(R"({"Metadata":{"a b":"v"}})").find("Metadata.a b needs"), std::string::npos);
  EXPECT_NE(error_of(R"({"Metadata":{"a:b":"v"}})").find("needs a name"), std::string::npos);
  std::string msg = error_of(R"({"SSECustomerKey":"not base64 TopSecret!"})");
  EXPECT_NE(msg.find("SSECustomerKey must be base64"), std::string::npos);
  EXPECT_EQ(msg.find("TopSecret"), std::string::npos);
}

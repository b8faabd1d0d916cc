// Where requests go; AWS itself cannot be reached from the test machines.
#include <gtest/gtest.h>

#include "http/url.h"
#include "storage/s3_addressing.h"
#include "util/error.h"

using namespace fc;

namespace {

// The endpoint as the settings hand it over: already checked to be a URL.
std::optional<http::Url> endpoint(const char *url) {
  std::optional<http::Url> parsed = http::parse_url(url);
  EXPECT_TRUE(parsed) << url;
  return parsed;
}

}  // namespace

TEST(S3Addressing, AwsIsVirtualHostedOnTheRegionalEndpoint) {
  S3Addressing a = resolve_s3_addressing("kong-backups", "eu-west-1", std::nullopt);
  EXPECT_EQ(a.scheme, "https");
  EXPECT_EQ(a.host_header(), "kong-backups.s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(a.path_style);
  EXPECT_EQ(a.path("kong-backups", "p/3.9.0.0/config.json"), "/p/3.9.0.0/config.json");
  EXPECT_EQ(a.path("kong-backups", ""), "/");
}

TEST(S3Addressing, DefaultsAndSpecialCases) {
  EXPECT_EQ(resolve_s3_addressing("b-1", "", std::nullopt).host, "b-1.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_s3_addressing("b-1", "cn-north-1", std::nullopt).host, "b-1.s3.cn-north-1.amazonaws.com.cn");
  S3Addressing dotted = resolve_s3_addressing("my.bucket", "us-west-2", std::nullopt);
  EXPECT_TRUE(dotted.path_style);
  EXPECT_EQ(dotted.host, "s3.us-west-2.amazonaws.com");
  EXPECT_EQ(dotted.path("my.bucket", "k"), "/my.bucket/k");
}

TEST(S3Addressing, EndpointIsPathStyleAndOnlySchemeHostPortCount) {
  S3Addressing a = resolve_s3_addressing("kong", "us-east-1", endpoint("http://minio:9000/ignored/path?x=1"));
  EXPECT_TRUE(a.path_style);
  EXPECT_EQ(a.scheme, "http");
  EXPECT_EQ(a.host_header(), "minio:9000");
  EXPECT_EQ(a.path("kong", "p/3.9.0.0/config.json"), "/kong/p/3.9.0.0/config.json");
  EXPECT_EQ(resolve_s3_addressing("kong", "", endpoint("https://s3.example.com:443/")).host_header(), "s3.example.com");
  EXPECT_EQ(resolve_s3_addressing("kong", "", endpoint("HTTP://127.0.0.1:80")).host_header(), "127.0.0.1");
  EXPECT_EQ(resolve_s3_addressing("kong", "", endpoint("http://[::1]:7480/")).host_header(), "[::1]:7480");
}

TEST(S3Addressing, ARegionMustBeARegionName) {
  EXPECT_TRUE(is_region_name("us-east-1"));
  for (const char *bad : {"US East", "eu_west_1", "", "us-east-1\n"}) EXPECT_FALSE(is_region_name(bad)) << bad;
  EXPECT_THROW(resolve_s3_addressing("kong", "US East", std::nullopt), Error);
}

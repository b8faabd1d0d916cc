#include <gtest/gtest.h>

#include "util/error.h"
#include "storage/location.h"

using namespace fc;

namespace {
std::string error_of(const std::string &url) {
  try {
    parse_location(url);
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_EINVAL);
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Location, ParsesS3AndGcsWithKongKeyLayout) {
  Location s3 = parse_location("s3://my-bucket/some//prefix/");
  EXPECT_EQ(s3.scheme, Scheme::S3);
  EXPECT_EQ(s3.bucket, "my-bucket");
  EXPECT_EQ(s3.prefix, "some/prefix");
  EXPECT_EQ(s3.config_key("3.9.1.0"), "some/prefix/3.9.1.0/config.json");
  EXPECT_EQ(s3.url_of(s3.config_key("3.9.1.0")), "s3://my-bucket/some/prefix/3.9.1.0/config.json");

  Location gcs = parse_location("gcs://my_bucket.example");
  EXPECT_EQ(gcs.scheme, Scheme::GCS);
  EXPECT_EQ(gcs.prefix, "");
  EXPECT_EQ(gcs.config_key("3.2.0.0"), "3.2.0.0/config.json");  // no leading slash
  EXPECT_EQ(gcs.key_prefix(), "");
}

TEST(Location, ParsesFileUrls) {
  Location f = parse_location("file:///var/lib//kong/fallback/");
  EXPECT_EQ(f.scheme, Scheme::File);
  EXPECT_EQ(f.root_dir, "/var/lib/kong/fallback");
  EXPECT_EQ(f.config_key("3.9.0.0"), "3.9.0.0/config.json");
  EXPECT_EQ(parse_location("file://localhost/srv/x").root_dir, "/srv/x");
  EXPECT_NE(error_of("file://relative/dir").find("absolute path"), std::string::npos);
  EXPECT_NE(error_of("file:///").find("root directory"), std::string::npos);
}

TEST(Location, RejectsBadUrlsWithOneLineErrors) {
  EXPECT_EQ(error_of("ftp://x/y").rfind("storage: the scheme 'ftp' is not supported", 0), 0u) << "names the label";
  try {
    parse_location("ftp://x", "KONG_CLUSTER_FALLBACK_CONFIG_STORAGE");
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()).rfind("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE: the scheme", 0), 0u) << e.what();
  }
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("my-bucket/prefix").find("no scheme"), std::string::npos);
  EXPECT_NE(error_of("http://my-bucket/prefix").find("'http' is not supported"), std::string::npos);
  EXPECT_NE(error_of("s3:///prefix").find("no bucket"), std::string::npos);
  EXPECT_NE(error_of("s3://b/p?x=1").find("query"), std::string::npos);
  EXPECT_NE(error_of("s3://bucket:9000/p").find("port"), std::string::npos);
  EXPECT_NE(error_of("s3://abc/./b").find("'.' or '..'"), std::string::npos);
  EXPECT_NE(error_of("s3://abc/p%20q").find("percent-encoding"), std::string::npos);
  EXPECT_NE(error_of("s3://abc/p\nq").find("control character"), std::string::npos);
}

TEST(Location, CredentialsInUrlAreRejectedWithoutEchoingThem) {
  std::string msg = error_of("s3://AKIAEXAMPLE:SuperSecretValue@bucket/prefix");
  EXPECT_NE(msg.find("must not contain credentials"), std::string::npos);
  EXPECT_EQ(msg.find("SuperSecretValue"), std::string::npos);
  EXPECT_EQ(msg.find("AKIAEXAMPLE"), std::string::npos);
}

TEST(Location, S3BucketNamingRules) {
  std::string why;
  for (const char *ok : {"abc", "my-bucket.v2", "a1b2c3", "123"}) EXPECT_TRUE(is_valid_s3_bucket(ok, &why)) << ok;
  for (const char *bad : {"ab", "Abc", "my_bucket", "-abc", "abc-", "a..b", "192.168.5.4", "xn--abc",
                          "sthree-x", "abc-s3alias", "abc--ol-s3", "b.mrap",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    EXPECT_FALSE(is_valid_s3_bucket(bad, &why)) << bad;
  EXPECT_NE(error_of("s3://My_Bucket/x").find("invalid bucket name 'My_Bucket'"), std::string::npos);
}

TEST(Location, GcsBucketNamingRules) {
  std::string why;
  EXPECT_TRUE(is_valid_gcs_bucket("my_bucket-1", &why));
  EXPECT_FALSE(is_valid_gcs_bucket("goog-bucket", &why));
  EXPECT_FALSE(is_valid_gcs_bucket("my-google-bucket", &why));
  EXPECT_FALSE(is_valid_gcs_bucket("UPPER", &why));
}

TEST(Location, VersionMustBeOneSegment) {
  Location s3 = parse_location("s3://bucket/p");
  EXPECT_THROW(s3.config_key(""), Error);
  EXPECT_THROW(s3.config_key("3.9/../x"), Error);
  EXPECT_THROW(s3.config_key(".."), Error);
  EXPECT_THROW(s3.config_key("3.9 0"), Error);
}

TEST(Location, JoinKeyCollapsesSlashes) {
  EXPECT_EQ(join_key("", "a"), "a");
  EXPECT_EQ(join_key("a//", "//b"), "a/b");
  EXPECT_EQ(join_key("a/b", "c//d"), "a/b/c/d");
}

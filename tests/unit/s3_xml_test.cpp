#include <gtest/gtest.h>

#include "storage/s3_xml.h"
#include "util/error.h"

using namespace fc;

TEST(S3Xml, ParsesErrorDocuments) {
  S3Error e;
  ASSERT_TRUE(parse_s3_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code><Message></Message>"
      "<RequestId>tx0001</RequestId><HostId>h</HostId></Error>",
      &e));
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(e.request_id, "tx0001");
  ASSERT_TRUE(parse_s3_error(
      "<Error><Code>PermanentRedirect</Code><Message>use the\nendpoint</Message><Region>eu-west-1</Region></Error>", &e));
  EXPECT_EQ(e.region, "eu-west-1");
  EXPECT_EQ(e.message, "use the endpoint");  // one line
  EXPECT_FALSE(parse_s3_error("", &e));
  EXPECT_FALSE(parse_s3_error("<html>502 Bad Gateway</html>", &e));
  EXPECT_FALSE(parse_s3_error("<Error><Code>", &e));
}

TEST(S3Xml, ParsesListObjectsV2Pages) {
  S3ListPage page = parse_list_objects_v2(
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok/1=</NextContinuationToken>"
      "<Contents><Key>kong/3.9.0.0/config.json</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>123</Size></Contents>"
      "<Contents><Key>kong/a &amp; b</Key><Size>0</Size></Contents></ListBucketResult>");
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_continuation_token, "tok/1=");
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "kong/3.9.0.0/config.json");
  EXPECT_EQ(page.objects[0].size, 123u);
  EXPECT_EQ(page.objects[0].etag, "\"abc\"");
  EXPECT_EQ(page.objects[0].last_modified, 1704164645);
  EXPECT_EQ(page.objects[1].key, "kong/a & b");
  EXPECT_EQ(page.objects[1].last_modified, -1);
}

TEST(S3Xml, RejectsMalformedListings) {
  EXPECT_THROW(parse_list_objects_v2("not xml"), Error);
  EXPECT_THROW(parse_list_objects_v2("<Other/>"), Error);
  EXPECT_THROW(parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"), Error);
  EXPECT_THROW(parse_list_objects_v2("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>"),
               Error);
  EXPECT_THROW(
      parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>"),
      Error);
}

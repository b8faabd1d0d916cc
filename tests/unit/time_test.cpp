#include <gtest/gtest.h>

#include "util/time.h"

using namespace fc;

TEST(Time, ParsesBothIsoFormsAndRejectsTheRest) {
  std::time_t a, b, c;
  ASSERT_TRUE(parse_iso8601_utc("2013-05-24T00:00:00Z", &a));
  ASSERT_TRUE(parse_iso8601_utc("20130524T000000Z", &b));
  ASSERT_TRUE(parse_iso8601_utc("2013-05-24T00:00:00.123Z", &c));
  EXPECT_EQ(a, 1369353600);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  std::time_t t;
  for (const char *bad : {"", "2013-05-24", "2013-05-24T00:00:00", "2013-02-30T00:00:00Z", "20130524T000000",
                          "2013-05-24T00:00:00+01:00", "2013-13-01T00:00:00Z", "x0130524T000000Z"})
    EXPECT_FALSE(parse_iso8601_utc(bad, &t)) << bad;
}

TEST(Time, FormatsAmzDate) {
  EXPECT_EQ(format_amz_date(1369353600), "20130524T000000Z");
  EXPECT_EQ(format_iso8601(1369353600), "2013-05-24T00:00:00Z");
  EXPECT_EQ(parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), 1369353600);
}

TEST(Time, AmzDateMatchesGmtimeAcrossYears) {
  // Leap days, century rules and the epoch, against the C library.
  for (std::time_t t : {0L, 951782400L, 951868799L, 1709164800L, 4107542399L, 1369353600L + 86399L}) {
    struct tm tm;
    gmtime_r(&t, &tm);
    char expected[32];
    std::strftime(expected, sizeof expected, "%Y%m%dT%H%M%SZ", &tm);
    EXPECT_EQ(format_amz_date(t), expected) << t;
  }
  for (std::time_t t = 946684800; t < 4102444800; t += 7919 * 3600 + 17) {  // 2000..2100, odd steps
    struct tm tm;
    gmtime_r(&t, &tm);
    char expected[32];
    std::strftime(expected, sizeof expected, "%Y%m%dT%H%M%SZ", &tm);
    ASSERT_EQ(format_amz_date(t), expected) << t;
  }
}

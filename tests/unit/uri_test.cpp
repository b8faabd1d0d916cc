#include <gtest/gtest.h>

#include "util/error.h"
#include "util/uri.h"

using namespace fc;

TEST(Uri, EncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b+c%d/e", false), "a%20b%2Bc%25d%2Fe");
  EXPECT_EQ(uri_encode("a b/e", true), "a%20b/e");
  EXPECT_EQ(uri_encode("日", false), "%E6%97%A5");
}

TEST(Uri, DecodeRoundTripsAndRejectsBadEscapes) {
  EXPECT_EQ(percent_decode("a%20b+c%2F"), "a b+c/");
  EXPECT_EQ(percent_decode(uri_encode("ü ~!*'()", false)), "ü ~!*'()");
  EXPECT_THROW(percent_decode("%2"), Error);
  EXPECT_THROW(percent_decode("%zz"), Error);
  EXPECT_THROW(percent_decode("abc%"), Error);
}

TEST(Uri, NormalizePath) {
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("//"), "/");
  EXPECT_EQ(normalize_path("/a/./b/../c/"), "/a/c/");
  EXPECT_EQ(normalize_path("/a/b/.."), "/a");
  EXPECT_EQ(normalize_path("/../.."), "/");
  EXPECT_EQ(normalize_path("/a//b"), "/a/b");
}

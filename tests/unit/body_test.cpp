#include <gtest/gtest.h>

#include <string>

#include "http/body.h"

// The multipart framing around an upload's bytes, read in any window size and
// read again after a rewind (libcurl rewinds to resend).
TEST(FramedBodyReader, PrefixBodySuffixAcrossWindowsAndRewinds) {
  const std::string payload = "{\"a\":[1,2,3]}";
  fc::http::Body body = fc::http::Body::memory(payload.data(), payload.size());
  for (size_t window : {1, 2, 5, 64}) {
    fc::http::FramedBodyReader reader("--b\r\n\r\n", body, "\r\n--b--\r\n");
    ASSERT_EQ(reader.size(), 7 + payload.size() + 9);
    for (int pass = 0; pass < 2; ++pass) {
      std::string got;
      char buf[64];
      for (size_t n; (n = reader.read(buf, window)) > 0;) got.append(buf, n);
      EXPECT_EQ(got, "--b\r\n\r\n" + payload + "\r\n--b--\r\n") << "window " << window << ", pass " << pass;
      reader.rewind();
    }
  }
}

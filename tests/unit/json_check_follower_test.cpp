#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "config/json_check_follower.h"
#include "util/error.h"

using namespace fc;

namespace {

// A temporary file the test writes as a download would.
struct GrowingFile {
  GrowingFile() {
    char tmpl[] = "/tmp/fc-follower-test-XXXXXX";
    fd = ::mkstemp(tmpl);
    path = tmpl;
  }
  ~GrowingFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  void append(JsonCheckFollower &check, const std::string &bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    total += bytes.size();
    check.written(total);
  }
  void truncate() {
    ASSERT_EQ(::ftruncate(fd, 0), 0);
    ASSERT_EQ(::lseek(fd, 0, SEEK_SET), 0);
    total = 0;
  }
  int fd;
  std::string path;
  uint64_t total = 0;
};

fc_status verdict(JsonCheckFollower &check) {
  try {
    check.finish();
    return FC_OK;
  } catch (const Error &e) {
    return e.status();
  }
}

}  // namespace

TEST(JsonCheckFollower, AcceptsOneObjectWrittenInPieces) {
  GrowingFile f;
  JsonCheckFollower check(f.fd, "the download");
  const std::string json = R"({"_format_version":"3.0","services":[{"name":"a","host":"h"}],"s":")" +
                           std::string(300000, 'x') + "\"}";
  for (size_t at = 0; at < json.size(); at += 4096) f.append(check, json.substr(at, 4096));
  EXPECT_EQ(verdict(check), FC_OK);
}

TEST(JsonCheckFollower, RefusesWhatIsNotOneObjectNamingIt) {
  for (const std::string bad : {"[1,2]", "{\"a\":1", "{\"a\":1}{}", "", "{\"a\":\"\xff\"}"}) {
    GrowingFile f;
    JsonCheckFollower check(f.fd, "the download (s3://b/k)");
    f.append(check, bad);
    try {
      check.finish();
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), FC_EINVAL);
      EXPECT_NE(std::string(e.what()).find("the download (s3://b/k)"), std::string::npos) << e.what();
    }
  }
}

TEST(JsonCheckFollower, ARestartedDownloadIsCheckedAfresh) {
  GrowingFile f;
  JsonCheckFollower check(f.fd, "the download");
  f.append(check, "[\"damaged in transit");  // not an object: would fail
  f.truncate();
  check.restart();
  f.append(check, "{\"a\":");
  f.append(check, "[1,2,3]}");
  EXPECT_EQ(verdict(check), FC_OK);
}

TEST(JsonCheckFollower, DroppedWhileWaitingForBytesEndsAtOnce) {
  GrowingFile f;
  {
    JsonCheckFollower check(f.fd, "the download");
    f.append(check, "{\"a\":");
  }  // no finish(): the checker thread must not wait for bytes that never come
  SUCCEED();
}

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "config/json_check_gate.h"
#include "util/error.h"

using namespace fc;

namespace {
// A temporary file holding data, open for reading; removed and closed on scope exit.
struct TempFile {
  explicit TempFile(const std::string &data) {
    char tmpl[] = "/tmp/fc-gate-test-XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path = tmpl;
    std::ofstream(path, std::ios::binary) << data;
    file = std::fopen(path.c_str(), "rb");
  }
  ~TempFile() {
    std::fclose(file);
    std::remove(path.c_str());
  }
  int fd() const { return ::fileno(file); }
  std::string path;
  std::FILE *file;
};
}  // namespace

TEST(JsonCheckGate, GoodFileReleasesEveryByte) {
  std::string data = "{\"a\":\"" + std::string(1 << 20, 'x') + "\"}";
  TempFile f(data);
  JsonCheckGate gate(f.fd(), f.path, data.size());
  EXPECT_NO_THROW(gate.wait_until_sendable(1));
  EXPECT_NO_THROW(gate.wait_until_sendable(data.size()));  // the last byte: after the verdict
  EXPECT_NO_THROW(gate.finish());
  EXPECT_EQ(std::ftell(f.file), 0);  // the upload's read position is untouched
}

TEST(JsonCheckGate, TruncatedFileNeverReleasesItsLastByte) {
  std::string data = "{\"a\":\"" + std::string(1 << 20, 'x');  // no closing quote or brace
  TempFile f(data);
  JsonCheckGate gate(f.fd(), f.path, data.size());
  try {
    gate.wait_until_sendable(data.size());
    FAIL() << "the whole of a truncated file was released";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_EINVAL);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
  }
  EXPECT_THROW(gate.finish(), Error);
}

TEST(JsonCheckGate, VouchesOnlyForTheSizeTheUploadSends) {
  // The upload took the size while a writer was midway: 4 bytes of "{\"a\":1}".
  TempFile f("{\"a\":1}");
  JsonCheckGate gate(f.fd(), f.path, 4);
  try {
    gate.wait_until_sendable(4);
    FAIL() << "a 4-byte prefix of a valid file was vouched for";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("changed while it was being uploaded"), std::string::npos) << e.what();
  }
}

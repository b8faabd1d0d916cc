// Downloads are used only when their length and SHA-256 match the object's
// metadata (file:// keeps it in xattrs, as S3 and GCS keep it with the object).
#include <gtest/gtest.h>
#include <sys/xattr.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "client.h"
#include "crypto/digest.h"
#include "util/error.h"

using namespace fc;
namespace fs = std::filesystem;

class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fc-integrity-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    settings_.set("storage", "file://" + dir_ + "/store");
    object_ = dir_ + "/store/3.9.0.0/config.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void overwrite_in_place(size_t offset, char byte) {  // keeps the xattrs
    std::fstream f(object_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(byte);
  }
  std::string expect_error(const std::function<void()> &f, fc_status expected) {
    try {
      f();
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), expected) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }

  std::string dir_, object_;
  Settings settings_;
  const std::string config_ = R"({"_format_version":"3.0","services":[{"name":"a","host":"example.com"}]})";
};

TEST_F(IntegrityTest, TheSha256IsStoredWithTheObject) {
  Client client(settings_);
  client.put("3.9.0.0", config_.data(), config_.size());
  EXPECT_EQ(client.stat("3.9.0.0").sha256, crypto::hex(crypto::sha256(config_)));
  EXPECT_EQ(client.get("3.9.0.0"), config_);
}

TEST_F(IntegrityTest, ACorruptedObjectIsRefusedNamingTheKeyAndBothHashes) {
  Client client(settings_);
  client.put("3.9.0.0", config_.data(), config_.size());
  overwrite_in_place(40, 'X');
  std::string damaged = config_;
  damaged[40] = 'X';
  std::string msg = expect_error([&] { client.get("3.9.0.0"); }, FC_ESTORAGE);
  EXPECT_NE(msg.find("integrity check failed for file://" + dir_ + "/store/3.9.0.0/config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find(crypto::hex(crypto::sha256(config_))), std::string::npos) << msg;
  EXPECT_NE(msg.find(crypto::hex(crypto::sha256(damaged))), std::string::npos) << msg;

  // pull: nothing lands at the target, no temporary file is left behind.
  const std::string target = dir_ + "/pulled.json";
  expect_error([&] { client.get_file("3.9.0.0", target); }, FC_ESTORAGE);
  EXPECT_FALSE(fs::exists(target));
  for (const auto &e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path().filename().string().find(".pulled"), std::string::npos);
}

TEST_F(IntegrityTest, ObjectsWithoutOurMetadataAreAcceptedIfTheyAreConfigurations) {
  fs::create_directories(dir_ + "/store/3.9.0.0");
  std::ofstream(object_) << config_;  // as Kong Enterprise or an operator would write it
  Client client(settings_);
  EXPECT_EQ(client.stat("3.9.0.0").sha256, "");
  EXPECT_EQ(client.get("3.9.0.0"), config_);
  const std::string target = dir_ + "/pulled.json";
  client.get_file("3.9.0.0", target);
  std::ifstream in(target);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), config_);

  // ...but pull writes only a configuration.
  std::ofstream(object_, std::ios::trunc) << "[1,2,3]";
  const std::string other = dir_ + "/other.json";
  std::string msg = expect_error([&] { client.get_file("3.9.0.0", other); }, FC_EINVAL);
  EXPECT_NE(msg.find("the downloaded configuration (file://"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(other));
}

TEST_F(IntegrityTest, MetadataOfAnotherContentIsAMismatch) {
  Client client(settings_);
  client.put("3.9.0.0", config_.data(), config_.size());
  const std::string forged(64, 'a');
  ASSERT_EQ(setxattr(object_.c_str(), "user.fallback_config.sha256", forged.data(), forged.size(), 0), 0);
  std::string msg = expect_error([&] { client.get("3.9.0.0"); }, FC_ESTORAGE);
  EXPECT_NE(msg.find("its sha256 metadata is " + forged), std::string::npos) << msg;
}

TEST_F(IntegrityTest, TheDownloadLimitHolds) {
  settings_.set("max_download_bytes", "16");
  Client client(settings_);
  client.put("3.9.0.0", config_.data(), config_.size());
  std::string msg = expect_error([&] { client.get("3.9.0.0"); }, FC_ESTORAGE);
  EXPECT_NE(msg.find("download limit of 16 bytes"), std::string::npos) << msg;
}

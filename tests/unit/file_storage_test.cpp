#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "client.h"
#include "util/error.h"

using namespace fc;
namespace fs = std::filesystem;

class FileStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fc-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    settings_.set("storage", "file://" + dir_ + "/store/kong");
    settings_.set("uploader", "node-1");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  Settings settings_;
};

TEST_F(FileStorageTest, PutGetStatListDelete) {
  Client client(settings_);
  const std::string cfg = "{\"_format_version\":\"3.0\"}";
  client.put("3.9.0.0", cfg.data(), cfg.size());
  client.put("3.10.0.0", cfg.data(), cfg.size());
  EXPECT_TRUE(fs::exists(dir_ + "/store/kong/3.9.0.0/config.json"));
  EXPECT_EQ(client.get("3.9.0.0"), cfg);
  ObjectInfo info = client.stat("3.9.0.0");
  EXPECT_EQ(info.size, cfg.size());
  EXPECT_GT(info.last_modified, 0);
  std::vector<ObjectInfo> all = client.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "3.10.0.0/config.json");
  EXPECT_EQ(client.newest_version(), "3.10.0.0");
  client.remove("3.10.0.0");
  EXPECT_EQ(client.newest_version(), "3.9.0.0");
  try {
    client.remove("3.10.0.0");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_ENOTFOUND);
    EXPECT_EQ(std::string(e.what()), "no fallback config at file://" + dir_ + "/store/kong/3.10.0.0/config.json");
  }
}

TEST_F(FileStorageTest, RefusedUploadLeavesTheStoredConfigIntact) {
  Client client(settings_);
  const std::string good = "{\"a\":1}";
  client.put("3.9.0.0", good.data(), good.size());
  for (std::string bad : {std::string("[1]"), std::string("{\"a\":"), std::string("")})
    EXPECT_THROW(client.put("3.9.0.0", bad.data(), bad.size()), Error);
  EXPECT_EQ(client.get("3.9.0.0"), good);
  // No temporary file is left behind (the key's lock file stays; listings skip it).
  size_t files = 0, locks = 0;
  for (auto &e : fs::recursive_directory_iterator(dir_ + "/store")) {
    if (!e.is_regular_file()) continue;
    (e.path().filename().string() == ".tmp.config.json.lock" ? locks : files)++;
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(locks, 1u);
  EXPECT_EQ(client.list().size(), 1u);
}

TEST_F(FileStorageTest, PutFileStreamsAndGetFileIsAtomic) {
  Client client(settings_);
  std::string src = dir_ + "/in.json";
  std::ofstream(src) << "{\"big\":\"" << std::string(1 << 20, 'x') << "\"}";
  client.put_file("3.9.0.0", src);
  std::string out = dir_ + "/out.json";
  client.get_file("3.9.0.0", out);
  std::ifstream a(src), b(out);
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa, sb);
  // A failed download leaves an existing output file untouched.
  EXPECT_THROW(client.get_file("9.9.9.9", out), Error);
  std::ifstream c(out);
  std::string sc((std::istreambuf_iterator<char>(c)), {});
  EXPECT_EQ(sc, sa);
}

// nginx workers run as an unprivileged user: a directory they may not enter is
// an EIO naming the directory, not an internal error.
TEST_F(FileStorageTest, UnwritableStorageIsAnIoErrorNamingTheDirectory) {
  fs::create_directories(dir_ + "/store");
  ASSERT_EQ(::chmod((dir_ + "/store").c_str(), 0500), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::getuid() == 0 && ::setuid(65534) != 0) ::_exit(10);  // root ignores modes: become nobody
    try {
      Client client(settings_);
      client.put("3.9.0.0", "{}", 2);
      ::_exit(11);
    } catch (const Error &e) {
      bool named = std::string(e.what()).find("cannot create directory " + dir_ + "/store/kong") == 0;
      ::_exit(e.status() == FC_EIO && named ? 0 : 12);
    } catch (...) {
      ::_exit(13);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setuid failed, 11: no error, 12: wrong status or message, 13: not an fc::Error";
}

// A download larger than the limit ends while it streams; a pulled file is
// not left behind, complete or partial.
TEST_F(FileStorageTest, DownloadsStopAtTheSizeLimit) {
  Client writer(settings_);
  std::string big = "{\"blob\":\"" + std::string(100000, 'x') + "\"}";
  writer.put("3.9.0.0", big.data(), big.size());
  settings_.set("max_download_bytes", "50000");
  Client reader(settings_);
  try {
    reader.get("3.9.0.0");
    FAIL() << "a 100 KB object was downloaded with a 50 KB limit";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_ESTORAGE);
    EXPECT_EQ(std::string(e.what()), "file://" + dir_ + "/store/kong/3.9.0.0/config.json is larger than the download "
                                     "limit of 50000 bytes (max_download_bytes)");
  }
  const std::string out = dir_ + "/pulled.json";
  EXPECT_THROW(reader.get_file("3.9.0.0", out), Error);
  EXPECT_FALSE(fs::exists(out));
  for (const auto &entry : fs::directory_iterator(dir_)) EXPECT_EQ(entry.path().filename().string().find(".pulled"), std::string::npos);
  settings_.set("max_download_bytes", std::to_string(big.size()));  // exactly the size: allowed
  EXPECT_EQ(Client(settings_).get("3.9.0.0"), big);
}

TEST_F(FileStorageTest, EmptyStorageHasNoNewestVersion) {
  Client client(settings_);
  EXPECT_TRUE(client.list().empty());
  try {
    client.newest_version();
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_ENOTFOUND);
  }
}

TEST(VersionOfKey, ConfigJsonDirectlyUnderThePrefixIsNotAVersion) {
  Settings settings;
  settings.set("storage", "s3://bucket/kong");
  settings.set("access_key_id", "AKIDEXAMPLE");
  settings.set("secret_access_key", "secret");
  Client client(settings);  // no request is made
  EXPECT_EQ(client.version_of("kong/config.json"), std::nullopt);  // once parsed as version "config.json"
  EXPECT_EQ(client.version_of("kong//config.json"), std::nullopt);
  EXPECT_EQ(client.version_of("kong/a/b/config.json"), std::nullopt);
  EXPECT_EQ(client.version_of("other/3.9.0.0/config.json"), std::nullopt);
  EXPECT_EQ(client.version_of("kong/3.9.0.0/config.json"), std::optional<std::string>("3.9.0.0"));
  EXPECT_EQ(client.version_of("kong/3.9.0.0/notes.txt"), std::nullopt);
}

TEST(VersionOrder, ComparesNumerically) {
  EXPECT_TRUE(version_less("3.9.1.0", "3.10.0.0"));
  EXPECT_TRUE(version_less("3.2.0.0", "3.2.0.1"));
  EXPECT_FALSE(version_less("3.10.0.0", "3.9.9.9"));
  EXPECT_TRUE(version_less("3.9", "3.9.0"));
  EXPECT_FALSE(version_less("3.9.0.0", "3.9.0.0"));
  EXPECT_TRUE(version_less("99999999999999999999.1", "100000000000000000000.0"));
}

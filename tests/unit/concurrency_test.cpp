// One client and one signer shared by several threads, as the plugin's worker
// thread and the CLI may do. Run under ASan/UBSan by scripts/test.sh.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "auth/sigv4.h"
#include "fallback_config.h"
#include "util/time.h"

TEST(Concurrency, OneClientManyThreads) {
  char tmpl[] = "/tmp/fc-concurrency-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  ASSERT_EQ(fc_settings_set(s, "storage", ("file://" + dir).c_str(), err, sizeof err), FC_OK);
  fc_client *client = nullptr;
  ASSERT_EQ(fc_client_new(s, &client, err, sizeof err), FC_OK) << err;
  fc_settings_free(s);

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      char e[FC_ERRBUF_LEN];
      const std::string version = "3." + std::to_string(t) + ".0.0";
      for (int i = 0; i < 50; ++i) {
        const std::string cfg = "{\"thread\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        if (fc_client_put(client, version.c_str(), cfg.data(), cfg.size(), e, sizeof e) != FC_OK) ++failures;
        char *data = nullptr;
        size_t len = 0;
        if (fc_client_get(client, version.c_str(), &data, &len, e, sizeof e) != FC_OK ||
            std::string(data, len) != cfg)
          ++failures;
        fc_free(data);
        // Errors are per call: a failing call on one thread must not disturb the others.
        if (fc_client_put(client, version.c_str(), "[]", 2, e, sizeof e) != FC_EINVAL) ++failures;
      }
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  char *newest = nullptr;
  ASSERT_EQ(fc_client_newest_version(client, &newest, err, sizeof err), FC_OK);
  EXPECT_STREQ(newest, "3.3.0.0");
  fc_free(newest);
  fc_client_free(client);
  std::filesystem::remove_all(dir);
}

TEST(Concurrency, SharedSignerAgreesWithAFreshOne) {
  fc::sigv4::Request req;
  req.method = "GET";
  req.path = "/bucket/key";
  req.headers = {{"Host", "bucket.s3.us-east-1.amazonaws.com"}};
  fc::sigv4::Signer shared;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        fc::sigv4::Params p;
        p.credentials = {"AKIDEXAMPLE", "secret-" + std::to_string(i % 3), ""};
        p.region = (i % 2) ? "us-east-1" : "eu-west-1";
        p.service = "s3";
        p.time = 1700000000 + 86400 * ((i + t) % 20);  // many dates: the key cache fills and resets
        if (shared.sign(req, p).authorization != fc::sigv4::Signer().sign(req, p).authorization) ++mismatches;
      }
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

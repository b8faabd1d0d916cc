// The C ABI as the Lua bindings and the CLI see it: statuses, error buffers,
// ownership of returned memory, and no secret in any message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "fallback_config.h"

namespace fs = std::filesystem;

namespace {
const char *kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-TEST";
const char *kToken = "FwoGZXIvYXdzEXAMPLE-SESSION-TOKEN";
}  // namespace

TEST(Abi, StatusNamesAndVersion) {
  EXPECT_STREQ(fc_status_name(FC_ENOTFOUND), "ENOTFOUND");
  EXPECT_STREQ(fc_status_name(12345), "EUNKNOWN");
  EXPECT_STRNE(fc_version(), "");
}

TEST(Abi, NullArgumentsAreErrorsNotCrashes) {
  char err[FC_ERRBUF_LEN];
  EXPECT_EQ(fc_settings_set(nullptr, "storage", "x", err, sizeof err), FC_EINVAL);
  EXPECT_STREQ(err, "settings must not be NULL");
  EXPECT_EQ(fc_client_new(nullptr, nullptr, err, sizeof err), FC_EINVAL);
  EXPECT_EQ(fc_client_put(nullptr, "v", "{}", 2, nullptr, 0), FC_EINVAL);  // no errbuf is fine
  fc_free(nullptr);
  fc_object_info_free(nullptr);
  fc_object_list_free(nullptr, 3);
  fc_sign_result_free(nullptr);
  fc_client_free(nullptr);
  fc_settings_free(nullptr);
}

TEST(Abi, ErrorBufferIsTruncatedAndTerminated) {
  fc_settings *s = fc_settings_new();
  char err[8];
  std::memset(err, 'x', sizeof err);
  EXPECT_EQ(fc_settings_set(s, "no_such_setting", "v", err, sizeof err), FC_EINVAL);
  EXPECT_EQ(std::strlen(err), 7u);
  EXPECT_EQ(std::string(err), "unknown");
  fc_settings_free(s);
}

TEST(Abi, FileStorageRoundTripWithOwnedBuffers) {
  char tmpl[] = "/tmp/fc-abi-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  ASSERT_EQ(fc_settings_set(s, "storage", ("file://" + dir).c_str(), err, sizeof err), FC_OK) << err;
  ASSERT_EQ(fc_settings_set(s, "uploader", "node-abc", err, sizeof err), FC_OK) << err;
  fc_client *c = nullptr;
  ASSERT_EQ(fc_client_new(s, &c, err, sizeof err), FC_OK) << err;
  fc_settings_free(s);  // the client keeps what it needs

  char *key = nullptr;
  ASSERT_EQ(fc_client_config_key(c, "3.9.0.0", &key, err, sizeof err), FC_OK);
  EXPECT_STREQ(key, "3.9.0.0/config.json");
  fc_free(key);

  const char cfg[] = "{\"_format_version\":\"3.0\"}";
  ASSERT_EQ(fc_client_put(c, "3.9.0.0", cfg, sizeof cfg - 1, err, sizeof err), FC_OK) << err;
  char *data = nullptr;
  size_t len = 0;
  ASSERT_EQ(fc_client_get(c, "3.9.0.0", &data, &len, err, sizeof err), FC_OK) << err;
  EXPECT_EQ(std::string(data, len), cfg);
  EXPECT_EQ(data[len], '\0');  // NUL-terminated for C callers
  fc_free(data);

  fc_object_info *items = nullptr;
  size_t count = 0;
  ASSERT_EQ(fc_client_list(c, &items, &count, err, sizeof err), FC_OK) << err;
  ASSERT_EQ(count, 1u);
  EXPECT_STREQ(items[0].version, "3.9.0.0");
  fc_object_list_free(items, count);

  EXPECT_EQ(fc_client_get(c, "1.0.0.0", &data, &len, err, sizeof err), FC_ENOTFOUND);
  EXPECT_EQ(data, nullptr);
  EXPECT_EQ(std::string(err), "no fallback config at file://" + dir + "/1.0.0.0/config.json");
  EXPECT_EQ(fc_client_put(c, "3.9.0.0", "[]", 2, err, sizeof err), FC_EINVAL);
  EXPECT_EQ(fc_client_put(c, "../x", cfg, sizeof cfg - 1, err, sizeof err), FC_EINVAL);
  fc_client_free(c);
  fs::remove_all(dir);
}

TEST(Abi, ClientCreationErrorsNeverContainSecrets) {
  char err[FC_ERRBUF_LEN];
  const char *cases[][2] = {
      {"storage", "s3://key:supersecret@bucket/p"},
      {"endpoint", "ftp://127.0.0.1:1/"},
      {"s3_put_params", "{\"SSECustomerKey\":\"!!supersecret!!\"}"},
      {"region", "not a region"},
  };
  for (auto &kv : cases) {
    fc_settings *s = fc_settings_new();
    fc_settings_set(s, "storage", "s3://bucket/p", err, sizeof err);
    fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err);
    fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err);
    fc_settings_set(s, "session_token", kToken, err, sizeof err);
    fc_settings_set(s, kv[0], kv[1], err, sizeof err);
    fc_client *c = nullptr;
    EXPECT_EQ(fc_client_new(s, &c, err, sizeof err), FC_EINVAL) << kv[0];
    EXPECT_EQ(c, nullptr);
    EXPECT_EQ(std::string(err).find("supersecret"), std::string::npos) << err;
    EXPECT_EQ(std::string(err).find(kSecret), std::string::npos) << err;
    EXPECT_EQ(std::string(err).find(kToken), std::string::npos) << err;
    fc_settings_free(s);
  }
}

TEST(Abi, TokenThatOccursInThePlaceholderIsStillMasked) {
  // Regression: masking once looped forever when the token was part of the placeholder.
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err);
  fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err);
  fc_settings_set(s, "session_token", "TOKEN", err, sizeof err);
  const char raw[] = "GET /b/k?X-Amz-Security-Token=TOKEN HTTP/1.1\r\nHost: h\r\n\r\n";
  fc_sign_options opts{"us-east-1", "s3", "2024-01-01T00:00:00Z", 1, 1};
  fc_sign_result *r = nullptr;
  ASSERT_EQ(fc_sign_raw_request(s, raw, sizeof raw - 1, &opts, &r, err, sizeof err), FC_OK) << err;
  std::string creq = r->canonical_request;
  EXPECT_NE(creq.find("X-Amz-Security-Token=<AWS_SESSION_TOKEN>"), std::string::npos) << creq;
  EXPECT_NE(creq.find("x-amz-security-token:<AWS_SESSION_TOKEN>"), std::string::npos) << creq;
  fc_sign_result_free(r);
  fc_settings_free(s);
}

TEST(Abi, CustomerKeyIsRefusedOverPlainHttp) {
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  fc_settings_set(s, "storage", "s3://bucket/p", err, sizeof err);
  fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err);
  fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err);
  fc_settings_set(s, "endpoint", "http://127.0.0.1:9000", err, sizeof err);
  fc_settings_set(s, "s3_put_params",
                  "{\"SSECustomerAlgorithm\":\"AES256\",\"SSECustomerKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
                  err, sizeof err);
  fc_client *c = nullptr;
  EXPECT_EQ(fc_client_new(s, &c, err, sizeof err), FC_EINVAL);
  EXPECT_NE(std::string(err).find("needs an https:// endpoint"), std::string::npos) << err;
  EXPECT_EQ(std::string(err).find("AAAAAAAA"), std::string::npos);
  fc_settings_free(s);
}

TEST(Abi, MissingCredentialsNameTheVariable) {
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  fc_settings_set(s, "storage", "s3://bucket/p", err, sizeof err);
  fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err);
  fc_client *c = nullptr;
  EXPECT_EQ(fc_client_new(s, &c, err, sizeof err), FC_EINVAL);
  EXPECT_NE(std::string(err).find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  fc_settings_free(s);
}

TEST(Abi, SignRedactsTheSessionToken) {
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err);
  fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err);
  fc_settings_set(s, "session_token", kToken, err, sizeof err);
  const char raw[] = "GET /bucket/key HTTP/1.1\r\nHost: 127.0.0.1:7480\r\n\r\n";
  fc_sign_options opts{"us-east-1", "s3", "2024-01-01T00:00:00Z", 1, 1};
  fc_sign_result *r = nullptr;
  ASSERT_EQ(fc_sign_raw_request(s, raw, sizeof raw - 1, &opts, &r, err, sizeof err), FC_OK) << err;
  for (const char *text : {r->canonical_request, r->string_to_sign, r->signed_headers, r->authorization}) {
    EXPECT_EQ(std::string(text).find(kToken), std::string::npos) << text;
    EXPECT_EQ(std::string(text).find(kSecret), std::string::npos) << text;
  }
  EXPECT_NE(std::string(r->canonical_request).find("x-amz-security-token:<AWS_SESSION_TOKEN>"), std::string::npos);
  EXPECT_NE(std::string(r->authorization).find("x-amz-security-token"), std::string::npos);
  fc_sign_result_free(r);
  opts.time = "yesterday";
  EXPECT_EQ(fc_sign_raw_request(s, raw, sizeof raw - 1, &opts, &r, err, sizeof err), FC_EINVAL);
  EXPECT_NE(std::string(err).find("--time"), std::string::npos);
  fc_settings_free(s);
}

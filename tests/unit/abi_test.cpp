// The C ABI as the Lua bindings and the CLI see it: statuses, error buffers,
// ownership of returned memory, and no secret in any message.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <new>
#include <set>
#include <string>
#include <thread>

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

TEST(Abi, SettingErrorsNeverContainSecrets) {
  char err[FC_ERRBUF_LEN];
  const char *cases[][2] = {
      {"storage", "s3://key:supersecret@bucket/p"},
      {"endpoint", "ftp://127.0.0.1:1/"},
      {"endpoint", "http://key:supersecret@127.0.0.1:1/"},
      {"s3_put_params", "{\"SSECustomerKey\":\"!!supersecret!!\"}"},
      {"region", "not a region"},
      {"session_token", "supersecret\nsecond line"},
      {"gcp_service_account", "{\"type\":\"service_account\",\"private_key\":\"supersecret\"}"},
  };
  for (auto &kv : cases) {
    fc_settings *s = fc_settings_new();
    ASSERT_EQ(fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err), FC_OK);
    ASSERT_EQ(fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err), FC_OK);
    ASSERT_EQ(fc_settings_set(s, "session_token", kToken, err, sizeof err), FC_OK);
    // Refused when set, naming the setting; nothing of the value in the message.
    EXPECT_EQ(fc_settings_set(s, kv[0], kv[1], err, sizeof err), FC_EINVAL) << kv[0];
    EXPECT_EQ(std::string(err).rfind(kv[0], 0), 0u) << err;
    EXPECT_EQ(std::string(err).find("supersecret"), std::string::npos) << err;
    EXPECT_EQ(std::string(err).find(kSecret), std::string::npos) << err;
    EXPECT_EQ(std::string(err).find(kToken), std::string::npos) << err;
    fc_settings_free(s);
  }
}

TEST(Abi, SettingsNameTheSourceAndKeepPrecedence) {
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  EXPECT_EQ(fc_settings_set_from(s, "connect_timeout", "7200", "--connect-timeout", err, sizeof err), FC_EINVAL);
  EXPECT_STREQ(err, "--connect-timeout must be a number of seconds from 0.001 to 3600, got '7200'");
  EXPECT_EQ(fc_settings_set_env(s, "KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT", "1.5x", err, sizeof err), FC_EINVAL);
  EXPECT_STREQ(err, "KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT must be a number of seconds from 0.001 to 3600, got '1.5x'");
  EXPECT_EQ(fc_settings_set_env(s, "NOT_A_SETTING", "x", err, sizeof err), FC_EINVAL);
  // AWS_REGION wins over AWS_DEFAULT_REGION whichever comes first.
  ASSERT_EQ(fc_settings_set_env(s, "AWS_REGION", "eu-west-1", err, sizeof err), FC_OK) << err;
  ASSERT_EQ(fc_settings_set_env(s, "AWS_DEFAULT_REGION", "us-west-2", err, sizeof err), FC_OK) << err;
  char *value = nullptr, *source = nullptr;
  ASSERT_EQ(fc_settings_get(s, "region", &value, &source, err, sizeof err), FC_OK) << err;
  EXPECT_STREQ(value, "eu-west-1");
  EXPECT_STREQ(source, "AWS_REGION");
  fc_free(value);
  fc_free(source);
  // A default has no source; secrets are never read back.
  ASSERT_EQ(fc_settings_get(s, "connect_timeout", &value, &source, err, sizeof err), FC_OK) << err;
  EXPECT_STREQ(value, "5");
  EXPECT_EQ(source, nullptr);
  fc_free(value);
  ASSERT_EQ(fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err), FC_OK);
  EXPECT_EQ(fc_settings_get(s, "secret_access_key", &value, nullptr, err, sizeof err), FC_EINVAL);
  EXPECT_EQ(fc_settings_get(s, "secret_access_key", nullptr, &source, err, sizeof err), FC_OK);
  EXPECT_STREQ(source, "secret_access_key");
  fc_free(source);
  fc_settings_free(s);
}

TEST(Abi, TheTableDescribesEverySettingOnce) {
  std::set<std::string> names, variables, flags;
  size_t n = 0;
  for (; const fc_setting_info *info = fc_setting_info_at(n); ++n) {
    EXPECT_TRUE(names.insert(info->name).second) << info->name;
    for (size_t v = 0; v < FC_SETTING_MAX_VARIABLES && info->variables[v]; ++v)
      EXPECT_TRUE(variables.insert(info->variables[v]).second) << info->variables[v];
    if (info->flag) {
      EXPECT_TRUE(flags.insert(info->flag).second) << info->flag;
    }
    EXPECT_NE(std::string(info->help), "") << info->name;
    EXPECT_EQ(std::string(info->help).find('\n'), std::string::npos) << info->name;
    EXPECT_FALSE(info->secret && info->flag) << info->name << ": a secret on a command line shows in ps";
    // Every default is a value the setting accepts.
    if (info->default_value) {
      char err[FC_ERRBUF_LEN];
      fc_settings *s = fc_settings_new();
      EXPECT_EQ(fc_settings_set(s, info->name, info->default_value, err, sizeof err), FC_OK) << err;
      fc_settings_free(s);
    }
  }
  EXPECT_GE(n, 30u);
  EXPECT_EQ(fc_setting_info_at(n), nullptr);
}

TEST(Abi, TokenThatOccursInThePlaceholderIsStillMasked) {
  // Regression: masking once looped forever when the token was part of the placeholder.
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  fc_settings_set(s, "access_key_id", "AKIDEXAMPLE", err, sizeof err);
  fc_settings_set(s, "secret_access_key", kSecret, err, sizeof err);
  fc_settings_set(s, "session_token", "TOKEN", err, sizeof err);
  fc_settings_set(s, "session_token", "_token", err, sizeof err);  // a part of "<session_token>"
  const char raw[] = "GET /b/k?X-Amz-Security-Token=_token HTTP/1.1\r\nHost: h\r\n\r\n";
  fc_sign_options opts{"us-east-1", "s3", "2024-01-01T00:00:00Z", 1, 1};
  fc_sign_result *r = nullptr;
  ASSERT_EQ(fc_sign_raw_request(s, raw, sizeof raw - 1, &opts, &r, err, sizeof err), FC_OK) << err;
  std::string creq = r->canonical_request;
  // The placeholder names where the token came from: here the setting's name.
  EXPECT_NE(creq.find("X-Amz-Security-Token=<session_token>"), std::string::npos) << creq;
  EXPECT_NE(creq.find("x-amz-security-token:<session_token>"), std::string::npos) << creq;
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
  EXPECT_NE(std::string(err).find("must be an https:// endpoint"), std::string::npos) << err;
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
  EXPECT_NE(std::string(r->canonical_request).find("x-amz-security-token:<session_token>"), std::string::npos);
  EXPECT_NE(std::string(r->authorization).find("x-amz-security-token"), std::string::npos);
  fc_sign_result_free(r);
  opts.time = "yesterday";
  EXPECT_EQ(fc_sign_raw_request(s, raw, sizeof raw - 1, &opts, &r, err, sizeof err), FC_EINVAL);
  EXPECT_NE(std::string(err).find("signing time must be ISO 8601"), std::string::npos) << err;
  EXPECT_EQ(std::string(err).find("--"), std::string::npos) << "the library never names CLI flags: " << err;
  fc_settings_free(s);
}

// ---- Out of memory at every allocation of every entry point -----------------
//
// operator new is replaced for this test binary: it forwards to the next
// definition (libstdc++'s, or ASan's in the sanitizer build, which keeps its
// checks) unless the calling thread armed a countdown, in which case the
// allocation that brings it to zero throws std::bad_alloc. Each entry point is
// then called with the failure injected at its first, second, third...
// allocation until it completes without reaching the injection: every run
// must return an error value (or succeed), never crash, terminate or leak
// (LeakSanitizer checks the sanitizer build at exit).

namespace {

thread_local long t_allocations_left = -1;  // -1: never fail
thread_local bool t_injected = false;

template <typename Fn>
Fn next_definition(const char *name) {
  void *p = dlsym(RTLD_NEXT, name);
  if (!p) std::abort();
  return reinterpret_cast<Fn>(p);
}

void *allocate(std::size_t size, const char *name) {
  if (t_allocations_left >= 0 && t_allocations_left-- == 0) {
    t_injected = true;
    throw std::bad_alloc();
  }
  using New = void *(*)(std::size_t);
  static New plain = next_definition<New>("_Znwm");
  static New array = next_definition<New>("_Znam");
  return (name[3] == 'w' ? plain : array)(size);
}

}  // namespace

void *operator new(std::size_t size) { return allocate(size, "_Znwm"); }
void *operator new[](std::size_t size) { return allocate(size, "_Znam"); }
void operator delete(void *p) noexcept {
  static auto next = next_definition<void (*)(void *)>("_ZdlPv");
  next(p);
}
void operator delete[](void *p) noexcept {
  static auto next = next_definition<void (*)(void *)>("_ZdaPv");
  next(p);
}
void operator delete(void *p, std::size_t size) noexcept {
  static auto next = next_definition<void (*)(void *, std::size_t)>("_ZdlPvm");
  next(p, size);
}
void operator delete[](void *p, std::size_t size) noexcept {
  static auto next = next_definition<void (*)(void *, std::size_t)>("_ZdaPvm");
  next(p, size);
}

namespace {

// Runs `call` with an allocation failure at its 1st, 2nd, ... allocation
// until it runs through; returns how many failures were injected. `call`
// returns the entry point's status and cleans up whatever it got.
int inject_everywhere(const char *what, const std::function<int(char *err, size_t len)> &call) {
  int injected = 0;
  for (long n = 0; n < 10000; ++n) {
    char err[FC_ERRBUF_LEN] = "untouched";
    t_injected = false;
    t_allocations_left = n;
    int rc;
    try {
      rc = call(err, sizeof err);
    } catch (const std::exception &e) {
      t_allocations_left = -1;
      ADD_FAILURE() << what << ": an exception crossed the C ABI at allocation " << n << ": " << e.what();
      return injected;
    }
    t_allocations_left = -1;
    if (!t_injected) {
      EXPECT_EQ(rc, FC_OK) << what << " without any failure: " << err;
      return injected;
    }
    ++injected;
    if (rc != FC_OK) {
      EXPECT_NE(std::string(err), "untouched") << what << " at allocation " << n;
      EXPECT_NE(std::string(err), "") << what << " at allocation " << n;
    }
  }
  ADD_FAILURE() << what << " never completed";
  return injected;
}

int wait_job(fc_job *job, char *err, size_t len) {
  for (int i = 0; i < 4000; ++i) {
    int st = fc_job_status(job, err, len);
    if (st != FC_JOB_RUNNING) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return FC_JOB_RUNNING;
}

}  // namespace

TEST(AbiOutOfMemory, EveryEntryPointReturnsAnErrorValue) {
  char tmpl[] = "/tmp/fc-abi-oom-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, storage = "file://" + dir;
  const std::string cfg = "{\"_format_version\":\"3.0\",\"services\":[{\"name\":\"a\"}]}";
  // {"_format_version":"3.0"} in the exporter's framing (see serialized_config.h).
  const std::string serialized = std::string("\x2f_format_version\x07\0\0\0\0\0\0\xf0\xbf\x23" "3.0", 29);
  const std::string file = dir + "/upload.json";
  {
    std::FILE *f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(cfg.data(), 1, cfg.size(), f);
    std::fclose(f);
  }
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  ASSERT_EQ(fc_settings_set(s, "storage", storage.c_str(), err, sizeof err), FC_OK) << err;
  fc_client *c = nullptr;
  ASSERT_EQ(fc_client_new(s, &c, err, sizeof err), FC_OK) << err;
  ASSERT_EQ(fc_client_put(c, "3.9.0.0", cfg.data(), cfg.size(), err, sizeof err), FC_OK) << err;

  int total = 0;
  total += inject_everywhere("fc_settings_new", [](char *, size_t) {
    fc_settings *x = fc_settings_new();
    fc_settings_free(x);
    return FC_OK;
  });
  total += inject_everywhere("fc_settings_set", [&](char *e, size_t n) {
    return fc_settings_set(s, "endpoint", "http://127.0.0.1:9/a-long-enough-url-to-allocate", e, n);
  });
  ASSERT_EQ(fc_settings_set(s, "endpoint", "", err, sizeof err), FC_OK);
  total += inject_everywhere("fc_settings_set_from", [&](char *e, size_t n) {
    return fc_settings_set_from(s, "connect_timeout", "2.5", "--a-long-enough-source-name-to-allocate", e, n);
  });
  total += inject_everywhere("fc_settings_set_env", [&](char *e, size_t n) {
    return fc_settings_set_env(s, "KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE", "/a/long/enough/path/to/allocate.pem", e, n);
  });
  total += inject_everywhere("fc_settings_get", [&](char *e, size_t n) {
    char *value = nullptr, *source = nullptr;
    int rc = fc_settings_get(s, "ca_bundle", &value, &source, e, n);
    if (rc != FC_OK) {
      EXPECT_EQ(value, nullptr);
      EXPECT_EQ(source, nullptr);
    }
    fc_free(value);
    fc_free(source);
    return rc;
  });
  total += inject_everywhere("fc_settings_load_env", [&](char *e, size_t n) { return fc_settings_load_env(s, e, n); });
  ASSERT_EQ(fc_settings_set(s, "storage", storage.c_str(), err, sizeof err), FC_OK) << err;
  total += inject_everywhere("fc_client_new", [&](char *e, size_t n) {
    fc_client *x = nullptr;
    int rc = fc_client_new(s, &x, e, n);
    if (rc != FC_OK) {
      EXPECT_EQ(x, nullptr);
    }
    fc_client_free(x);
    return rc;
  });
  total += inject_everywhere("fc_client_config_key", [&](char *e, size_t n) {
    char *key = nullptr;
    int rc = fc_client_config_key(c, "3.9.0.0", &key, e, n);
    fc_free(key);
    return rc;
  });
  total += inject_everywhere("fc_client_config_url", [&](char *e, size_t n) {
    char *url = nullptr;
    int rc = fc_client_config_url(c, "3.9.0.0", &url, e, n);
    fc_free(url);
    return rc;
  });
  total += inject_everywhere("fc_client_put", [&](char *e, size_t n) {
    return fc_client_put(c, "3.9.0.0", cfg.data(), cfg.size(), e, n);
  });
  total += inject_everywhere("fc_client_put_file", [&](char *e, size_t n) {
    return fc_client_put_file(c, "3.9.0.0", file.c_str(), e, n);
  });
  total += inject_everywhere("fc_client_get", [&](char *e, size_t n) {
    char *data = nullptr;
    size_t len = 0;
    int rc = fc_client_get(c, "3.9.0.0", &data, &len, e, n);
    if (rc != FC_OK) {
      EXPECT_EQ(data, nullptr);
    }
    fc_free(data);
    return rc;
  });
  const std::string download = dir + "/download.json";  // no allocation of the test's own under injection
  total += inject_everywhere("fc_client_get_file", [&](char *e, size_t n) {
    return fc_client_get_file(c, "3.9.0.0", download.c_str(), e, n);
  });
  total += inject_everywhere("fc_client_stat", [&](char *e, size_t n) {
    fc_object_info *info = nullptr;
    int rc = fc_client_stat(c, "3.9.0.0", &info, e, n);
    if (rc != FC_OK) {
      EXPECT_EQ(info, nullptr);
    }
    fc_object_info_free(info);
    return rc;
  });
  // Listing file:// storage once used std::filesystem's directory iterator,
  // whose libstdc++ constructor ended the process on an allocation failure.
  total += inject_everywhere("fc_client_list", [&](char *e, size_t n) {
    fc_object_info *items = nullptr;
    size_t count = 0;
    int rc = fc_client_list(c, &items, &count, e, n);
    fc_object_list_free(items, count);
    return rc;
  });
  total += inject_everywhere("fc_client_newest_version", [&](char *e, size_t n) {
    char *v = nullptr;
    int rc = fc_client_newest_version(c, &v, e, n);
    fc_free(v);
    return rc;
  });
  total += inject_everywhere("fc_client_credentials_source (refused)", [&](char *e, size_t n) {
    char *provider = nullptr, *hint = nullptr;
    int64_t expires = 0;
    int rc = fc_client_credentials_source(c, &provider, &hint, &expires, e, n);
    fc_free(provider);
    fc_free(hint);
    return rc == FC_EINVAL ? FC_OK : rc;  // file storage has no credentials: refused, as it should be
  });
  total += inject_everywhere("fc_sign_raw_request", [&](char *e, size_t n) {
    fc_settings *creds = fc_settings_new();
    fc_settings_set(creds, "access_key_id", "AKIDEXAMPLE", nullptr, 0);
    fc_settings_set(creds, "secret_access_key", kSecret, nullptr, 0);
    const char raw[] = "GET /bucket/key HTTP/1.1\r\nHost: 127.0.0.1:7480\r\n\r\n";
    fc_sign_options opts{"us-east-1", "s3", "2024-01-01T00:00:00Z", 1, 1};
    fc_sign_result *r = nullptr;
    int rc = fc_sign_raw_request(creds, raw, sizeof raw - 1, &opts, &r, e, n);
    if (rc != FC_OK) {
      EXPECT_EQ(r, nullptr);
    }
    fc_sign_result_free(r);
    fc_settings_free(creds);
    return rc;
  });
  // The submitting side of jobs (their work runs on the worker thread, where
  // nothing is injected); a job that was queued is waited for and freed.
  auto job_call = [&](const char *what, const std::function<int(fc_job **, char *, size_t)> &submit) {
    return inject_everywhere(what, [&](char *e, size_t n) {
      fc_job *job = nullptr;
      int rc = submit(&job, e, n);
      if (rc != FC_OK) {
        EXPECT_EQ(job, nullptr);
        return rc;
      }
      long left = t_allocations_left;  // the wait is not under test
      t_allocations_left = -1;
      char job_err[FC_ERRBUF_LEN];
      EXPECT_EQ(wait_job(job, job_err, sizeof job_err), FC_OK) << job_err;
      char *data = nullptr;
      size_t len = 0;
      t_allocations_left = left;
      rc = fc_job_take_data(job, &data, &len, e, n);
      fc_free(data);
      char sha256[65];
      if (rc == FC_OK) rc = fc_job_sha256(job, sha256, sizeof sha256, e, n);
      fc_job_free(job);
      return rc;
    });
  };
  total += job_call("fc_client_put_async", [&](fc_job **j, char *e, size_t n) {
    return fc_client_put_async(c, "3.9.0.0", cfg.data(), cfg.size(), j, e, n);
  });
  total += job_call("fc_client_put_async_serialized", [&](fc_job **j, char *e, size_t n) {
    return fc_client_put_async_serialized(c, "3.9.0.0", serialized.data(), serialized.size(), j, e, n);
  });
  total += job_call("fc_client_get_async", [&](fc_job **j, char *e, size_t n) {
    return fc_client_get_async(c, "3.9.0.0", j, e, n);
  });
  total += inject_everywhere("fc_client_delete", [&](char *e, size_t n) {
    int rc = fc_client_delete(c, "3.9.0.0", e, n);
    if (rc == FC_OK) {
      t_allocations_left = -1;
      EXPECT_EQ(fc_client_put(c, "3.9.0.0", cfg.data(), cfg.size(), e, n), FC_OK) << e;
    }
    return rc;
  });
  EXPECT_GT(total, 100) << "the injection never took effect";

  fc_client_free(c);
  fc_settings_free(s);
  std::filesystem::remove_all(dir);
}

#include "commands.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "fallback_config.h"

namespace fc::cli {

namespace {

const char *const kStorageOptions =
    "Storage options (each overrides its environment variable):\n"
    "  --storage URL         s3://<bucket>/<prefix>, gcs://<bucket>/<prefix> or file:///<dir>\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_STORAGE)\n"
    "  --endpoint URL        S3-compatible endpoint, path-style (AWS_CONFIG_STORAGE_ENDPOINT)\n"
    "  --region REGION       AWS region (AWS_REGION, then AWS_DEFAULT_REGION)\n"
    "  --gcs-endpoint URL    GCS endpoint, e.g. an emulator (STORAGE_EMULATOR_HOST)\n"
    "  --max-download-bytes N  refuse a download larger than N bytes (default 256 MiB)\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES)\n"
    "  --retry-attempts N    tries per request, the first included (default 4)\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS)\n"
    "  --retry-deadline S    seconds for all tries of one request (default 120)\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE)\n"
    "  --connect-timeout S   seconds to connect (default 5; KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT)\n"
    "  --stall-timeout S     seconds without a byte before a transfer is given up (default 30)\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT)\n"
    "  --ca-bundle FILE      PEM file of the CAs to trust for https\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE, then AWS_CA_BUNDLE)\n"
    "  --tls-verify off      do not verify certificates (insecure; warned about on every run)\n"
    "                        (KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY)\n"
    "S3 credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.\n"
    "GCS tokens come from the service-account key in GCP_SERVICE_ACCOUNT (JSON) or the file\n"
    "GOOGLE_APPLICATION_CREDENTIALS names, else from the metadata server (GCE_METADATA_HOST);\n"
    "STORAGE_EMULATOR_HOST points gcs:// at another endpoint.\n";

struct SettingsDeleter {
  void operator()(fc_settings *s) const { fc_settings_free(s); }
};
struct ClientDeleter {
  void operator()(fc_client *c) const { fc_client_free(c); }
};
using SettingsPtr = std::unique_ptr<fc_settings, SettingsDeleter>;
using ClientPtr = std::unique_ptr<fc_client, ClientDeleter>;

// A failed library call: its status picks the exit code, its message is printed.
struct Failure {
  int status;
  std::string message;
};

void check(int status, const char *errbuf) {
  if (status != FC_OK) throw Failure{status, errbuf};
}

int exit_code_for(int status) {
  if (status == FC_EINVAL) return kUsage;
  if (status == FC_ENOTFOUND) return kNotFound;
  return kFailure;
}

std::string hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// The environment first, then the flags on top of it.
SettingsPtr load_settings(const Args &args) {
  SettingsPtr settings(fc_settings_new());
  if (!settings) throw Failure{FC_EINTERNAL, "out of memory"};
  char err[FC_ERRBUF_LEN];
  check(fc_settings_load_env(settings.get(), err, sizeof err), err);
  check(fc_settings_set(settings.get(), "uploader", args.value("uploader", "fallback-config-cli@" + hostname()).c_str(),
                        err, sizeof err),
        err);
  static const std::pair<const char *, const char *> kFlagToSetting[] = {
      {"storage", "storage"},           {"endpoint", "endpoint"},          {"region", "region"},
      {"s3-put-params", "s3_put_params"}, {"page-size", "list_page_size"}, {"gcs-endpoint", "gcs_endpoint"},
      {"max-download-bytes", "max_download_bytes"}, {"retry-attempts", "retry_attempts"},
      {"retry-deadline", "retry_deadline"}, {"ca-bundle", "ca_bundle"}, {"tls-verify", "tls_verify"},
      {"connect-timeout", "connect_timeout"}, {"stall-timeout", "stall_timeout"}};
  for (const auto &[flag, setting] : kFlagToSetting)
    if (args.values.count(flag)) check(fc_settings_set(settings.get(), setting, args.value(flag).c_str(), err, sizeof err), err);
  return settings;
}

ClientPtr make_client(const Args &args) {
  SettingsPtr settings = load_settings(args);
  char err[FC_ERRBUF_LEN];
  fc_client *client = nullptr;
  int st = fc_client_new(settings.get(), &client, err, sizeof err);
  if (st == FC_EINVAL && std::string(err).rfind("storage URL is empty", 0) == 0)
    throw Failure{st, "no storage: set KONG_CLUSTER_FALLBACK_CONFIG_STORAGE or pass --storage"};
  check(st, err);
  if (!fc_client_tls_verify(client))
    std::cerr << "fallback-config: warning: TLS certificate verification is off (tls_verify): "
                 "anyone on the path can read and replace the configuration\n";
  return ClientPtr(client);
}

std::string owned(char *s) {
  std::string out = s ? s : "";
  fc_free(s);
  return out;
}

// --kong-version, or else the newest version that has a configuration.
std::string version_or_newest(const Args &args, fc_client *client) {
  if (args.values.count("kong-version")) return args.value("kong-version");
  char err[FC_ERRBUF_LEN];
  char *version = nullptr;
  check(fc_client_newest_version(client, &version, err, sizeof err), err);
  return owned(version);
}

std::string required_version(const Args &args, const char *command) {
  if (!args.values.count("kong-version"))
    throw Failure{FC_EINVAL, std::string(command) + " needs --kong-version VERSION (e.g. 3.9.1.0)"};
  return args.value("kong-version");
}

std::string format_time(int64_t t) {
  if (t < 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void expect_positional(const Args &args, size_t min, size_t max, const char *what) {
  if (args.positional.size() < min) throw Failure{FC_EINVAL, std::string("missing ") + what};
  if (args.positional.size() > max) throw Failure{FC_EINVAL, "unexpected argument '" + args.positional[max] + "'"};
}

int cmd_push(const Args &args) {
  expect_positional(args, 1, 1, "FILE: push FILE --kong-version VERSION");
  std::string version = required_version(args, "push");
  ClientPtr client = make_client(args);
  char err[FC_ERRBUF_LEN];
  if (args.values.count("if-generation-match"))
    check(fc_client_put_file_if_generation(client.get(), version.c_str(), args.positional[0].c_str(),
                                           args.value("if-generation-match").c_str(), err, sizeof err),
          err);
  else
    check(fc_client_put_file(client.get(), version.c_str(), args.positional[0].c_str(), err, sizeof err), err);
  char *url = nullptr;
  check(fc_client_config_url(client.get(), version.c_str(), &url, err, sizeof err), err);
  std::cerr << "pushed " << args.positional[0] << " to " << owned(url) << "\n";
  return kOk;
}

int cmd_pull(const Args &args) {
  expect_positional(args, 0, 0, "");
  ClientPtr client = make_client(args);
  std::string version = version_or_newest(args, client.get());
  char err[FC_ERRBUF_LEN];
  std::string out = args.value("o", "-");
  if (out == "-") {
    std::cout.flush();
    check(fc_client_get_fd(client.get(), version.c_str(), STDOUT_FILENO, err, sizeof err), err);
  } else {
    check(fc_client_get_file(client.get(), version.c_str(), out.c_str(), err, sizeof err), err);
    char *url = nullptr;
    check(fc_client_config_url(client.get(), version.c_str(), &url, err, sizeof err), err);
    std::cerr << "pulled " << owned(url) << " to " << out << "\n";
  }
  return kOk;
}

int cmd_ls(const Args &args) {
  expect_positional(args, 0, 0, "");
  ClientPtr client = make_client(args);
  char err[FC_ERRBUF_LEN];
  fc_object_info *items = nullptr;
  size_t count = 0;
  check(fc_client_list(client.get(), &items, &count, err, sizeof err), err);
  std::printf("%-16s %12s  %-20s  %s\n", "VERSION", "SIZE", "LAST MODIFIED", "KEY");
  for (size_t i = 0; i < count; ++i) {
    const fc_object_info &o = items[i];
    std::printf("%-16s %12llu  %-20s  %s\n", o.version ? o.version : "-", static_cast<unsigned long long>(o.size),
                format_time(o.last_modified).c_str(), o.key);
  }
  fc_object_list_free(items, count);
  return kOk;
}

int cmd_stat(const Args &args) {
  expect_positional(args, 0, 0, "");
  ClientPtr client = make_client(args);
  std::string version = version_or_newest(args, client.get());
  char err[FC_ERRBUF_LEN];
  fc_object_info *info = nullptr;
  check(fc_client_stat(client.get(), version.c_str(), &info, err, sizeof err), err);
  char *url = nullptr;
  int st = fc_client_config_url(client.get(), version.c_str(), &url, err, sizeof err);
  std::printf("url:           %s\n", st == FC_OK ? url : "-");
  fc_free(url);
  std::printf("key:           %s\n", info->key);
  std::printf("version:       %s\n", version.c_str());
  std::printf("size:          %llu\n", static_cast<unsigned long long>(info->size));
  std::printf("last-modified: %s\n", format_time(info->last_modified).c_str());
  std::printf("etag:          %s\n", info->etag ? info->etag : "-");
  std::printf("uploader:      %s\n", info->uploader ? info->uploader : "-");
  if (info->generation) std::printf("generation:    %s\n", info->generation);
  fc_object_info_free(info);
  return kOk;
}

int cmd_whoami(const Args &args) {
  expect_positional(args, 0, 0, "");
  ClientPtr client = make_client(args);
  char err[FC_ERRBUF_LEN];
  char *provider = nullptr, *hint = nullptr;
  int64_t expires = 0;
  check(fc_client_credentials_source(client.get(), &provider, &hint, &expires, err, sizeof err), err);
  std::printf("provider:      %s\n", provider);
  std::printf("access key id: %s\n", hint);
  std::printf("expires:       %s\n", expires ? format_time(expires).c_str() : "never");
  fc_free(provider);
  fc_free(hint);
  return kOk;
}

int cmd_delete(const Args &args) {
  expect_positional(args, 0, 0, "");
  std::string version = required_version(args, "delete");
  ClientPtr client = make_client(args);
  char err[FC_ERRBUF_LEN];
  char *url = nullptr;
  check(fc_client_config_url(client.get(), version.c_str(), &url, err, sizeof err), err);
  std::string target = owned(url);
  check(fc_client_delete(client.get(), version.c_str(), err, sizeof err), err);
  std::cerr << "deleted " << target << "\n";
  return kOk;
}

int cmd_sign(const Args &args) {
  expect_positional(args, 0, 1, "");
  std::string raw;
  std::string source = args.positional.empty() ? "-" : args.positional[0];
  if (source == "-") {
    raw.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> f(std::fopen(source.c_str(), "rb"), std::fclose);
    if (!f) throw Failure{FC_EIO, "cannot open " + source};
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) raw.append(buf, n);
  }
  if (args.has("s3") && args.has("no-normalize"))
    throw Failure{FC_EINVAL, "--no-normalize applies to the generic rules only; S3 never normalises paths"};
  std::string show = args.value("show", "all");
  if (show != "all" && show != "canonical-request" && show != "string-to-sign" && show != "authorization" &&
      show != "headers")
    throw Failure{FC_EINVAL, "--show must be all, canonical-request, string-to-sign, authorization or headers"};

  SettingsPtr settings = load_settings(args);
  std::string region = args.value("region");
  if (region.empty()) {
    const char *env = std::getenv("AWS_REGION");
    if (!env || !*env) env = std::getenv("AWS_DEFAULT_REGION");
    region = env ? env : "";
  }
  std::string service = args.value("service", args.has("s3") ? "s3" : "");
  std::string time = args.value("time");
  fc_sign_options options{region.c_str(), service.c_str(), time.c_str(), args.has("s3") ? 1 : 0,
                          args.has("no-normalize") ? 0 : 1};
  char err[FC_ERRBUF_LEN];
  fc_sign_result *result = nullptr;
  check(fc_sign_raw_request(settings.get(), raw.data(), raw.size(), &options, &result, err, sizeof err), err);
  if (show == "canonical-request") std::printf("%s\n", result->canonical_request);
  else if (show == "string-to-sign") std::printf("%s\n", result->string_to_sign);
  else if (show == "authorization") std::printf("%s\n", result->authorization);
  else if (show == "headers") std::printf("%s", result->signed_headers);
  else
    std::printf("---- canonical request ----\n%s\n---- string to sign ----\n%s\n---- headers to add ----\n%s",
                result->canonical_request, result->string_to_sign, result->signed_headers);
  fc_sign_result_free(result);
  return kOk;
}

// Wraps a command: library failures become one line on stderr and an exit code.
template <int (*Fn)(const Args &)>
int run_guarded(const Args &args) {
  try {
    return Fn(args);
  } catch (const Failure &f) {
    std::cerr << "fallback-config: error: " << f.message << "\n";
    return exit_code_for(f.status);
  }
}

const Command kCommands[] = {
    {"push", "upload a declarative configuration (a JSON object)",
     "Usage: fallback-config push FILE --kong-version VERSION [options]\n\n"
     "Uploads FILE to <prefix>/<VERSION>/config.json. FILE must be one JSON object (a\n"
     "declarative configuration); anything else is refused before a byte is sent. The\n"
     "file is streamed, never held in memory whole.\n\n"
     "  --kong-version VERSION  the gateway version segment of the key (required)\n"
     "  --uploader ID           node id recorded with the object (default: fallback-config-cli@<host>)\n"
     "  --if-generation-match N gcs:// only: store only if the object's generation is N (0: new)\n"
     "  --s3-put-params JSON    extra PutObject parameters (KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG)\n",
     run_guarded<cmd_push>},
    {"pull", "download a configuration",
     "Usage: fallback-config pull [-o FILE] [--kong-version VERSION] [options]\n\n"
     "Downloads <prefix>/<VERSION>/config.json to FILE (written to a temporary file and\n"
     "renamed when complete) or to standard output. Without --kong-version, the newest\n"
     "version present under the prefix is used.\n",
     run_guarded<cmd_pull>},
    {"ls", "list versions and objects under the prefix",
     "Usage: fallback-config ls [options]\n\n"
     "Lists every object under the prefix with its gateway version (- for objects that\n"
     "are not a <version>/config.json), size and modification time.\n\n"
     "  --page-size N     keys per listing request, 1 to 1000 (default 1000)\n",
     run_guarded<cmd_ls>},
    {"stat", "show size, time, etag and uploader of a configuration",
     "Usage: fallback-config stat [--kong-version VERSION] [options]\n\n"
     "Shows the metadata of <prefix>/<VERSION>/config.json; without --kong-version,\n"
     "of the newest version present.\n",
     run_guarded<cmd_stat>},
    {"whoami", "show which AWS credential provider answers, without the credentials",
     "Usage: fallback-config whoami [options]\n\n"
     "For s3:// storage: looks up credentials through the chain the AWS SDKs use\n"
     "(environment, shared files, web identity, ECS container, EC2 instance profile) and\n"
     "prints which provider answered, the access key id masked, and when they expire.\n",
     run_guarded<cmd_whoami>},
    {"delete", "delete a version's configuration",
     "Usage: fallback-config delete --kong-version VERSION [options]\n\n"
     "Deletes <prefix>/<VERSION>/config.json. Fails with exit status 3 when it does not exist.\n",
     run_guarded<cmd_delete>},
    {"sign", "show the SigV4 canonical request, string to sign and Authorization",
     "Usage: fallback-config sign [FILE] --region REGION [--service SERVICE] [--time TIME]\n"
     "                            [--s3 | --no-normalize] [--show WHAT]\n\n"
     "Reads a raw HTTP/1.1 request (request line, headers, blank line, body) from FILE or\n"
     "standard input and signs it with the credentials in AWS_ACCESS_KEY_ID,\n"
     "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Every header present is signed;\n"
     "x-amz-date (and with --s3, x-amz-content-sha256) is added. Compare the canonical\n"
     "request with the one S3 returns in a SignatureDoesNotMatch error. The session\n"
     "token is shown as <AWS_SESSION_TOKEN>.\n\n"
     "  --region REGION   region of the credential scope (default: AWS_REGION)\n"
     "  --service NAME    service of the credential scope (default with --s3: s3)\n"
     "  --time TIME       ISO 8601 UTC signing time, e.g. 2013-05-24T00:00:00Z (default: now)\n"
     "  --s3              S3 rules: path encoded once, never normalised, payload hash header\n"
     "  --no-normalize    generic rules without path normalisation\n"
     "  --show WHAT       all (default), canonical-request, string-to-sign, authorization, headers\n",
     run_guarded<cmd_sign>},
};

}  // namespace

const Command *commands_begin() { return std::begin(kCommands); }
const Command *commands_end() { return std::end(kCommands); }

const Command *find_command(const std::string &name) {
  for (const Command &c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

std::string storage_options_help() { return kStorageOptions; }

}  // namespace fc::cli

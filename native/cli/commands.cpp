#include "commands.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "fallback_config.h"
#include "setting_flags.h"

namespace fc::cli {

namespace {

struct ClientDeleter {
  void operator()(fc_client *c) const { fc_client_free(c); }
};
using ClientPtr = std::unique_ptr<fc_client, ClientDeleter>;

int exit_code_for(int status) {
  if (status == FC_EINVAL) return kUsage;
  if (status == FC_ENOTFOUND) return kNotFound;
  return kFailure;
}

std::string owned(char *s) {
  std::string out = s ? s : "";
  fc_free(s);
  return out;
}

// A setting's value ("" when it has none), and whether it has one.
bool setting_value(fc_settings *settings, const char *name, std::string *value) {
  char err[FC_ERRBUF_LEN];
  char *v = nullptr;
  check(fc_settings_get(settings, name, &v, nullptr, err, sizeof err), err);
  bool has = v != nullptr;
  *value = owned(v);
  return has;
}

// Says which flag or variable is missing, in the CLI's words.
void require_setting(fc_settings *settings, const char *name, const std::string &why) {
  std::string value;
  if (setting_value(settings, name, &value)) return;
  const fc_setting_info *info = setting_info(name);
  std::string message = why + ": pass " + flag_or_variable(*info);
  if (info->flag && info->variables[0]) message += " or set " + std::string(info->variables[0]);
  throw Failure{FC_EINVAL, message};
}

ClientPtr make_client(const Args &args) {
  SettingsPtr settings = load_settings(args);
  require_setting(settings.get(), "storage", "no storage");
  char err[FC_ERRBUF_LEN];
  fc_client *client = nullptr;
  check(fc_client_new(settings.get(), &client, err, sizeof err), err);
  if (!fc_client_tls_verify(client))
    std::cerr << "fallback-config: warning: TLS certificate verification is off (tls_verify): "
                 "anyone on the path can read and replace the configuration\n";
  return ClientPtr(client);
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
  std::printf("sha256:        %s\n", info->sha256 ? info->sha256 : "-");
  if (info->generation) std::printf("generation:    %s\n", info->generation);
  std::printf("epoch:         %s\n", info->epoch ? info->epoch : "-");
  fc_object_info_free(info);
  return kOk;
}

std::string format_duration_ms(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

void print_lease(const fc_lease_reading &r) {
  if (!r.present) {
    std::printf("holder:        - (no lease object: free)\n");
    return;
  }
  std::printf("holder:        %s\n", r.released ? "- (released: free)" : r.holder);
  std::printf("epoch:         %llu\n", static_cast<unsigned long long>(r.epoch));
  std::printf("renewed:       %s\n", format_time(r.last_modified).c_str());
  std::printf("duration:      %s\n", format_duration_ms(r.duration_ms).c_str());
  if (r.released) std::printf("expires in:    - (free)\n");
  else if (r.expires_in_ms > 0)
    std::printf("expires in:    %s (by the store's clock)\n", format_duration_ms(r.expires_in_ms).c_str());
  else std::printf("expires in:    expired %s ago (free)\n", format_duration_ms(-r.expires_in_ms).c_str());
}

int cmd_lease(const Args &args) {
  expect_positional(args, 0, 0, "");
  std::string version = required_version(args, "lease");
  ClientPtr client = make_client(args);
  char err[FC_ERRBUF_LEN];
  if (args.has("probe")) {
    char *problem = nullptr;
    check(fc_client_probe_conditional_writes(client.get(), version.c_str(), &problem, err, sizeof err), err);
    if (problem) {
      std::cerr << "fallback-config: error: " << owned(problem) << "\n";
      return kFailure;
    }
    std::printf("conditional writes: honoured (create-only and If-Match writes behave)\n");
    return kOk;
  }
  fc_lease_reading reading;
  check(fc_client_lease_read(client.get(), version.c_str(), &reading, err, sizeof err), err);
  print_lease(reading);
  if (!args.has("release")) return kOk;
  if (!reading.present || reading.released) {
    std::cerr << "the lease is free already: nothing to release\n";
    return kOk;
  }
  std::cerr << "warning: releasing the lease of " << reading.holder << " (epoch " << reading.epoch
            << "): another backup node may take it at once. If " << reading.holder
            << " is alive it stops exporting at its next renewal; a write it has in flight is refused "
               "by the configuration's fencing.\n";
  check(fc_client_lease_release(client.get(), version.c_str(), &reading, err, sizeof err), err);
  std::cerr << "released\n";
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
  require_setting(settings.get(), "region", "sign needs the region of the credential scope");
  std::string service = args.value("service", args.has("s3") ? "s3" : "");
  if (service.empty()) throw Failure{FC_EINVAL, "--service is required without --s3"};
  std::string time = args.value("time");
  // NULL region: the settings' (the flag's, or the environment's).
  fc_sign_options options{nullptr, service.c_str(), time.c_str(), args.has("s3") ? 1 : 0,
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

// Every setting, its value and where it came from; or one setting's value.
int cmd_settings(const Args &args) {
  expect_positional(args, 0, 1, "");
  SettingsPtr settings = load_settings(args);
  char err[FC_ERRBUF_LEN];
  if (!args.positional.empty()) {
    const fc_setting_info *info = setting_info(args.positional[0]);
    if (!info) throw Failure{FC_EINVAL, "no setting is called '" + args.positional[0] + "'"};
    if (info->secret) throw Failure{FC_EINVAL, std::string(info->name) + " is a secret: it is never printed"};
    std::string value;
    if (setting_value(settings.get(), info->name, &value)) std::printf("%s\n", value.c_str());
    return kOk;
  }
  std::printf("%-40s %-30s %s\n", "SETTING", "VALUE", "FROM");
  for (size_t i = 0; const fc_setting_info *info = fc_setting_info_at(i); ++i) {
    char *value = nullptr, *source = nullptr;
    check(fc_settings_get(settings.get(), info->name, info->secret ? nullptr : &value, &source, err, sizeof err), err);
    std::string shown = info->secret ? (source ? "(set)" : "-") : (value ? value : "-");
    std::printf("%-40s %-30s %s\n", info->name, shown.c_str(), source ? source : (value ? "default" : "-"));
    fc_free(value);
    fc_free(source);
  }
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
     "  --if-generation-match N gcs:// only: store only if the object's generation is N (0: new)\n",
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
     "are not a <version>/config.json), size and modification time.\n",
     run_guarded<cmd_ls>},
    {"stat", "show size, time, etag and uploader of a configuration",
     "Usage: fallback-config stat [--kong-version VERSION] [options]\n\n"
     "Shows the metadata of <prefix>/<VERSION>/config.json; without --kong-version,\n"
     "of the newest version present.\n",
     run_guarded<cmd_stat>},
    {"lease", "show (or release) the export lease of a version's backup nodes",
     "Usage: fallback-config lease --kong-version VERSION [--release | --probe] [options]\n\n"
     "Shows <prefix>/<VERSION>/lease.json as the store has it: which backup node holds the\n"
     "export lease, its epoch, and how long it has left by the store's clock.\n\n"
     "  --kong-version VERSION  the gateway version segment of the key (required)\n"
     "  --release               mark the lease released, so that another backup node takes it at\n"
     "                          once (conditional on the lease being what was just read)\n"
     "  --probe                 check that the store honours conditional writes, which the lease\n"
     "                          needs (writes and removes a scratch object beside the lease)\n",
     run_guarded<cmd_lease>},
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
     "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Every header present is signed (folded\n"
     "lines joined); x-amz-date (and with --s3, x-amz-content-sha256) is added. Compare the\n"
     "canonical request with the one S3 returns in a SignatureDoesNotMatch error. The\n"
     "session token is shown as <AWS_SESSION_TOKEN>.\n\n"
     "  --service NAME    service of the credential scope (default with --s3: s3)\n"
     "  --time TIME       ISO 8601 UTC signing time, e.g. 2013-05-24T00:00:00Z (default: now)\n"
     "  --s3              S3 rules: the decoded path encoded once, never normalised, payload hash header\n"
     "  --no-normalize    generic rules without path normalisation (the path as written, encoded once more)\n"
     "  --show WHAT       all (default), canonical-request, string-to-sign, authorization, headers\n",
     run_guarded<cmd_sign>},
    {"settings", "show every setting, its value and where it came from",
     "Usage: fallback-config settings [NAME] [options]\n\n"
     "Shows every setting, its value and where the value came from (an environment\n"
     "variable, a flag, or the default); secrets show as (set). With NAME, prints that\n"
     "setting's value alone. An invalid value exits 2 with the one-line error the plugin\n"
     "gives for it.\n",
     run_guarded<cmd_settings>},
};

}  // namespace

const Command *commands_begin() { return std::begin(kCommands); }
const Command *commands_end() { return std::end(kCommands); }

const Command *find_command(const std::string &name) {
  for (const Command &c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}


}  // namespace fc::cli

// The C ABI: every entry point catches everything, maps it to a status and a
// one-line message in the caller's buffer, and hands out malloc'd memory that
// fc_free releases.
#include "fallback_config.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <cstring>
#include <new>
#include <string>

#include "client.h"
#include "config/kong_export_plan.h"
#include "debug_signing.h"
#include "export_lease.h"
#include "jobs/worker.h"
#include "kong_export.h"
#include "settings/settings.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

struct fc_settings {
  fc::Settings settings;
};

struct fc_client {
  explicit fc_client(const fc::Settings &s) : shared(std::make_shared<fc::Client>(s)), client(*shared) {}
  std::shared_ptr<fc::Client> shared;  // jobs keep the client alive past fc_client_free
  fc::Client &client;
};

struct fc_lease {
  std::unique_ptr<fc::ExportLease> lease;
};

struct fc_job {
  std::shared_ptr<fc::jobs::Job> job;
  std::shared_ptr<fc::http::BorrowedBuffer> borrowed;  // upload jobs: the caller's data
  std::shared_ptr<fc::KongExportResult> kong_export;   // LMDB export jobs
};

namespace {

// Copies a message as one line; allocates nothing (it may run after bad_alloc).
void write_error(char *errbuf, size_t errbuf_len, const char *message) noexcept {
  if (!errbuf || errbuf_len == 0) return;
  size_t n = 0;
  for (; message[n] && n + 1 < errbuf_len; ++n) {
    unsigned char c = static_cast<unsigned char>(message[n]);
    errbuf[n] = (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  }
  errbuf[n] = '\0';
}

// Runs body; converts every exception into a status and a message.
template <typename Body>
int guarded(char *errbuf, size_t errbuf_len, Body body) {
  try {
    body();
    if (errbuf && errbuf_len) errbuf[0] = '\0';
    return FC_OK;
  } catch (const fc::Error &e) {
    write_error(errbuf, errbuf_len, e.what());
    return e.status();
  } catch (const std::bad_alloc &) {
    write_error(errbuf, errbuf_len, "out of memory");
    return FC_EINTERNAL;
  } catch (const std::exception &e) {
    write_error(errbuf, errbuf_len, e.what());
    return FC_EINTERNAL;
  } catch (...) {
    write_error(errbuf, errbuf_len, "internal error");
    return FC_EINTERNAL;
  }
}

char *dup_string(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

char *dup_or_null(const std::string &s) { return s.empty() ? nullptr : dup_string(s); }

int outcome_of(fc::KongExportOutcome outcome) {
  switch (outcome) {
    case fc::KongExportOutcome::kEmpty: return FC_KONG_EXPORT_EMPTY;
    case fc::KongExportOutcome::kUnchanged: return FC_KONG_EXPORT_UNCHANGED;
    case fc::KongExportOutcome::kUploaded: break;
  }
  return FC_KONG_EXPORT_UPLOADED;
}

// The directory this library was loaded from (its helper programs live there).
std::string library_dir() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void *>(&fc_version), &info) || !info.dli_fname) return ".";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

void require(const void *p, const char *name) {
  if (!p) fc::fail(FC_EINVAL, std::string(name) + " must not be NULL");
}

void fill_info(fc_object_info *out, const fc::ObjectInfo &info, const fc::Client *client) {
  *out = fc_object_info{};
  out->key = dup_string(info.key);
  if (client) {
    auto v = client->version_of(info.key);
    if (v) out->version = dup_string(*v);
  }
  out->size = info.size;
  out->last_modified = info.last_modified;
  out->etag = dup_or_null(info.etag);
  out->uploader = dup_or_null(info.uploader);
  out->generation = dup_or_null(info.generation);
  out->sha256 = dup_or_null(info.sha256);
  out->epoch = dup_or_null(info.epoch);
}

void clear_info(fc_object_info *info) {
  std::free(info->key);
  std::free(info->version);
  std::free(info->etag);
  std::free(info->uploader);
  std::free(info->generation);
  std::free(info->sha256);
  std::free(info->epoch);
}

// Queues an upload that reads the caller's bytes in place.
void submit_put(fc_client *client, const char *version, const char *data, size_t len, bool serialized, fc_job **out) {
  require(client, "client");
  require(version, "version");
  require(out, "out");
  if (!data && len) fc::fail(FC_EINVAL, "data must not be NULL");
  client->client.config_key(version);  // a bad version fails now, not in the job
  auto job = std::make_unique<fc_job>();
  job->borrowed = std::make_shared<fc::http::BorrowedBuffer>(data ? data : "", len);
  std::shared_ptr<fc::Client> owner = client->shared;
  std::shared_ptr<fc::http::BorrowedBuffer> buffer = job->borrowed;
  std::string v = version;
  job->job = std::make_shared<fc::jobs::Job>([owner, buffer, v, serialized](fc::jobs::Job &self) {
    self.sha256() = serialized ? owner->put_serialized(v, *buffer) : owner->put_borrowed(v, *buffer);
  });
  fc::jobs::submit(job->job);
  *out = job.release();
}

}  // namespace

extern "C" {

const char *fc_version(void) { return FC_VERSION; }

const char *fc_status_name(int status) {
  switch (status) {
    case FC_OK: return "OK";
    case FC_EINVAL: return "EINVAL";
    case FC_ENOTFOUND: return "ENOTFOUND";
    case FC_EAUTH: return "EAUTH";
    case FC_ESTORAGE: return "ESTORAGE";
    case FC_ENETWORK: return "ENETWORK";
    case FC_EIO: return "EIO";
    case FC_EPRECONDITION: return "EPRECONDITION";
    case FC_ELEASE: return "ELEASE";
    case FC_EINTERNAL: return "EINTERNAL";
    default: return "EUNKNOWN";
  }
}

void fc_free(void *p) { std::free(p); }

// nothrow new covers the allocation only, not the constructor: catch everything.
fc_settings *fc_settings_new(void) {
  try {
    return new fc_settings();
  } catch (...) {
    return nullptr;
  }
}

void fc_settings_free(fc_settings *settings) { delete settings; }

const fc_setting_info *fc_setting_info_at(size_t index) {
  const fc::SettingSpec *spec = fc::setting_at(index);
  return spec ? &spec->info : nullptr;
}

int fc_settings_set(fc_settings *settings, const char *name, const char *value, char *errbuf,
                    size_t errbuf_len) {
  return fc_settings_set_from(settings, name, value, nullptr, errbuf, errbuf_len);
}

int fc_settings_set_from(fc_settings *settings, const char *name, const char *value, const char *source,
                         char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(settings, "settings");
    require(name, "name");
    settings->settings.set(name, value ? value : "", source ? source : "");
  });
}

int fc_settings_set_env(fc_settings *settings, const char *variable, const char *value, char *errbuf,
                        size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(settings, "settings");
    require(variable, "variable");
    settings->settings.set_env(variable, value ? value : "");
  });
}

int fc_settings_load_env(fc_settings *settings, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(settings, "settings");
    settings->settings.load_env();
  });
}

int fc_settings_get(const fc_settings *settings, const char *name, char **out_value, char **out_source,
                    char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(settings, "settings");
    require(name, "name");
    if (out_value) *out_value = nullptr;
    if (out_source) *out_source = nullptr;
    const fc::SettingSpec *spec = fc::find_setting(name);
    if (!spec) fc::fail(FC_EINVAL, "unknown setting '" + fc::one_line(std::string(name).substr(0, 64)) + "'");
    if (spec->info.secret && out_value) fc::fail(FC_EINVAL, std::string(name) + " is a secret: it is never read back");
    char *value = dup_or_null(settings->settings.text(spec->id));
    try {
      if (out_source) *out_source = dup_or_null(settings->settings.source(spec->id));
    } catch (...) {
      std::free(value);
      throw;
    }
    if (out_value) *out_value = value;
    else std::free(value);
  });
}

int fc_client_new(const fc_settings *settings, fc_client **out, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(settings, "settings");
    require(out, "out");
    *out = nullptr;
    *out = new fc_client(settings->settings);
  });
}

void fc_client_free(fc_client *client) { delete client; }

int fc_client_config_key(const fc_client *client, const char *version, char **out_key, char *errbuf,
                         size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out_key, "out_key");
    *out_key = dup_string(client->client.config_key(version));
  });
}

int fc_client_config_url(const fc_client *client, const char *version, char **out_url, char *errbuf,
                         size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out_url, "out_url");
    *out_url = dup_string(client->client.config_url(version));
  });
}

int fc_client_put(fc_client *client, const char *version, const char *data, size_t len, char *errbuf,
                  size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    if (!data && len) fc::fail(FC_EINVAL, "data must not be NULL");
    client->client.put(version, data ? data : "", len);
  });
}

int fc_client_put_file(fc_client *client, const char *version, const char *path, char *errbuf,
                       size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(path, "path");
    client->client.put_file(version, path);
  });
}

int fc_client_credentials_source(fc_client *client, char **out_provider, char **out_key_hint,
                                 int64_t *out_expires_at, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(out_provider, "out_provider");
    require(out_key_hint, "out_key_hint");
    require(out_expires_at, "out_expires_at");
    *out_provider = *out_key_hint = nullptr;
    fc::ResolvedCredentials source = client->client.credentials_source();
    const std::string &id = source.credentials.access_key_id;
    std::string hint = id.size() > 4 ? std::string(id.size() - 4, '*') + id.substr(id.size() - 4) : std::string(id.size(), '*');
    *out_provider = dup_string(source.provider);
    *out_key_hint = dup_string(hint);
    *out_expires_at = source.expires_at;
  });
}

int fc_client_tls_verify(const fc_client *client) { return client && client->client.tls_verify() ? 1 : 0; }

int fc_client_put_file_if_generation(fc_client *client, const char *version, const char *path,
                                     const char *generation, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(path, "path");
    require(generation, "generation");
    const std::string g = generation;
    if (!client->client.is_gcs()) fc::fail(FC_EINVAL, "a generation precondition needs gcs:// storage");
    if (g.empty() || g.find_first_not_of("0123456789") != std::string::npos)
      fc::fail(FC_EINVAL, "a generation is a number, got '" + fc::one_line(g) + "'");
    client->client.put_file(version, path, g == "0" ? fc::WriteCondition::if_absent() : fc::WriteCondition::if_unchanged(g));
  });
}

int fc_client_get(fc_client *client, const char *version, char **out_data, size_t *out_len, char *errbuf,
                  size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out_data, "out_data");
    require(out_len, "out_len");
    *out_data = nullptr;
    *out_len = 0;
    std::string data = client->client.get(version);
    *out_data = dup_string(data);
    *out_len = data.size();
  });
}

int fc_client_get_file(fc_client *client, const char *version, const char *path, char *errbuf,
                       size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(path, "path");
    client->client.get_file(version, path);
  });
}

int fc_client_get_fd(fc_client *client, const char *version, int fd, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    if (fd < 0) fc::fail(FC_EINVAL, "fd must be an open file descriptor");
    client->client.get_fd(version, fd);
  });
}

int fc_client_delete(fc_client *client, const char *version, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    client->client.remove(version);
  });
}

int fc_client_stat(fc_client *client, const char *version, fc_object_info **out, char *errbuf,
                   size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out, "out");
    *out = nullptr;
    fc::ObjectInfo info = client->client.stat(version);
    auto *result = static_cast<fc_object_info *>(std::calloc(1, sizeof(fc_object_info)));
    if (!result) throw std::bad_alloc();
    try {
      fill_info(result, info, &client->client);
    } catch (...) {
      clear_info(result);
      std::free(result);
      throw;
    }
    *out = result;
  });
}

void fc_object_info_free(fc_object_info *info) {
  if (!info) return;
  clear_info(info);
  std::free(info);
}

int fc_client_list(fc_client *client, fc_object_info **out_items, size_t *out_count, char *errbuf,
                   size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(out_items, "out_items");
    require(out_count, "out_count");
    *out_items = nullptr;
    *out_count = 0;
    std::vector<fc::ObjectInfo> objects = client->client.list();
    if (objects.empty()) return;
    auto *items = static_cast<fc_object_info *>(std::calloc(objects.size(), sizeof(fc_object_info)));
    if (!items) throw std::bad_alloc();
    try {
      for (size_t i = 0; i < objects.size(); ++i) fill_info(&items[i], objects[i], &client->client);
    } catch (...) {
      fc_object_list_free(items, objects.size());  // calloc'd: unfilled entries are NULL
      throw;
    }
    *out_items = items;
    *out_count = objects.size();
  });
}

void fc_object_list_free(fc_object_info *items, size_t count) {
  if (!items) return;
  for (size_t i = 0; i < count; ++i) clear_info(&items[i]);
  std::free(items);
}

int fc_client_newest_version(fc_client *client, char **out_version, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(out_version, "out_version");
    *out_version = dup_string(client->client.newest_version());
  });
}

int fc_sign_raw_request(const fc_settings *settings, const char *raw, size_t raw_len,
                        const fc_sign_options *options, fc_sign_result **out, char *errbuf,
                        size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(settings, "settings");
    require(raw, "raw");
    require(options, "options");
    require(out, "out");
    *out = nullptr;
    fc::RawSigningOptions o;
    o.region = options->region ? options->region : "";
    o.service = options->service ? options->service : "";
    o.time = options->time ? options->time : "";
    o.s3 = options->s3 != 0;
    o.normalize_path = options->normalize_path != 0;
    fc::RawSigning sig = fc::sign_raw_request(settings->settings, std::string_view(raw, raw_len), o);
    auto *result = static_cast<fc_sign_result *>(std::calloc(1, sizeof(fc_sign_result)));
    if (!result) throw std::bad_alloc();
    try {
      result->canonical_request = dup_string(sig.canonical_request);
      result->string_to_sign = dup_string(sig.string_to_sign);
      result->signed_headers = dup_string(sig.headers_to_add);
      result->authorization = dup_string(sig.authorization);
    } catch (...) {
      fc_sign_result_free(result);
      throw;
    }
    *out = result;
  });
}

void fc_sign_result_free(fc_sign_result *result) {
  if (!result) return;
  std::free(result->canonical_request);
  std::free(result->string_to_sign);
  std::free(result->signed_headers);
  std::free(result->authorization);
  std::free(result);
}

int fc_client_put_async(fc_client *client, const char *version, const char *data, size_t len, fc_job **out,
                        char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    if (out) *out = nullptr;
    submit_put(client, version, data, len, false, out);
  });
}

int fc_client_put_async_serialized(fc_client *client, const char *version, const char *data, size_t len,
                                   fc_job **out, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    if (out) *out = nullptr;
    submit_put(client, version, data, len, true, out);
  });
}

int fc_client_get_async(fc_client *client, const char *version, fc_job **out, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out, "out");
    *out = nullptr;
    client->client.config_key(version);
    auto job = std::make_unique<fc_job>();
    std::shared_ptr<fc::Client> owner = client->shared;
    std::string v = version;
    job->job = std::make_shared<fc::jobs::Job>(
        [owner, v](fc::jobs::Job &self) { self.data() = owner->get(v, &self.sha256()); });
    fc::jobs::submit(job->job);
    *out = job.release();
  });
}

int fc_job_status(fc_job *job, char *errbuf, size_t errbuf_len) {
  if (!job) {
    write_error(errbuf, errbuf_len, "job must not be NULL");
    return FC_EINVAL;
  }
  if (!job->job->done()) return FC_JOB_RUNNING;
  write_error(errbuf, errbuf_len, job->job->message().c_str());
  return job->job->status();
}

int fc_job_take_data(fc_job *job, char **out_data, size_t *out_len, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(job, "job");
    require(out_data, "out_data");
    require(out_len, "out_len");
    *out_data = nullptr;
    *out_len = 0;
    if (!job->job->done()) fc::fail(FC_EINVAL, "the job is still running");
    if (job->job->status() != FC_OK) fc::fail(job->job->status(), job->job->message());
    std::string data = std::move(job->job->data());
    *out_data = dup_string(data);
    *out_len = data.size();
  });
}

int fc_job_sha256(fc_job *job, char *out, size_t out_len, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(job, "job");
    require(out, "out");
    if (out_len < 65) fc::fail(FC_EINVAL, "out_len must be at least 65");
    if (!job->job->done()) fc::fail(FC_EINVAL, "the job is still running");
    if (job->job->status() != FC_OK) fc::fail(job->job->status(), job->job->message());
    const std::string &hex = job->job->sha256();
    if (hex.size() != 64) fc::fail(FC_EINVAL, "the job moved no configuration");
    std::memcpy(out, hex.c_str(), 65);
  });
}

int fc_client_export_kong_lmdb_async(fc_client *client, const char *version, const char *plan, size_t plan_len,
                                     const char *unless_hash, const char *helper_path, fc_job **out, char *errbuf,
                                     size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(plan, "plan");
    require(out, "out");
    *out = nullptr;
    client->client.config_key(version);
    fc::parse_kong_export_plan(plan, plan_len);  // a bad plan fails now, not in the job
    auto job = std::make_unique<fc_job>();
    job->kong_export = std::make_shared<fc::KongExportResult>();
    std::shared_ptr<fc::Client> owner = client->shared;
    std::shared_ptr<fc::KongExportResult> result = job->kong_export;
    std::string v = version, p(plan, plan_len), unless = unless_hash ? unless_hash : "";
    std::string helper = helper_path ? helper_path : library_dir() + "/fallback-config-lmdb-export";
    job->job = std::make_shared<fc::jobs::Job>([owner, result, v, p, unless, helper](fc::jobs::Job &self) {
      fc::export_kong_lmdb(*owner, v, helper, p, unless, *result);
      self.sha256() = result->sha256;
    });
    fc::jobs::submit(job->job);
    *out = job.release();
  });
}

int fc_job_kong_export(fc_job *job, fc_kong_export_info *out, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(job, "job");
    require(out, "out");
    if (!job->kong_export) fc::fail(FC_EINVAL, "the job is not an LMDB export");
    if (!job->job->done()) fc::fail(FC_EINVAL, "the job is still running");
    const fc::KongExportResult &r = *job->kong_export;
    *out = fc_kong_export_info{};
    out->read = r.read;
    out->outcome = outcome_of(r.outcome);
    std::memcpy(out->kong_hash, r.snapshot.hash.data(), std::min<size_t>(r.snapshot.hash.size(), 64));
    out->entities = r.snapshot.entities;
    out->bytes = r.bytes;
  });
}

void fc_job_free(fc_job *job) {
  if (!job) return;
  // The caller's buffer may go away right after this: a running upload stops
  // reading it (and fails) instead of reading freed memory.
  // (std::mutex::lock throws only for a broken mutex; even then no exception
  // may cross the C boundary.)
  try {
    if (job->borrowed) job->borrowed->revoke();
  } catch (...) {
  }
  delete job;  // a running job keeps itself and its client alive until it ends
}

}  // extern "C"

namespace {

// Copies text into a fixed field, cut to fit, always terminated.
template <size_t N>
void copy_field(char (&field)[N], const std::string &text) {
  const size_t n = std::min(text.size(), N - 1);
  std::memcpy(field, text.data(), n);
  field[n] = '\0';
}

int lease_state_of(fc::ExportLeaseState state) {
  switch (state) {
    case fc::ExportLeaseState::starting: return FC_LEASE_STARTING;
    case fc::ExportLeaseState::follower: return FC_LEASE_FOLLOWER;
    case fc::ExportLeaseState::leader: return FC_LEASE_LEADER;
    case fc::ExportLeaseState::unsupported: return FC_LEASE_UNSUPPORTED;
    case fc::ExportLeaseState::ee_elected: return FC_LEASE_EE_ELECTED;
    case fc::ExportLeaseState::ee_standby: return FC_LEASE_EE_STANDBY;
  }
  return FC_LEASE_STARTING;
}

}  // namespace

int fc_client_lease_start(fc_client *client, const char *version, int64_t duration_ms, int64_t renew_ms,
                          int64_t ee_interval_ms, fc_lease **out, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out, "out");
    client->client.config_key(version);  // a bad version fails now
    auto lease = std::make_unique<fc_lease>();
    lease->lease = std::make_unique<fc::ExportLease>(client->shared, version, duration_ms, renew_ms, ee_interval_ms);
    *out = lease.release();
  });
}

int fc_lease_info_get(fc_lease *lease, fc_lease_info *out, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(lease, "lease");
    require(out, "out");
    const fc::ExportLeaseStatus s = lease->lease->status();
    *out = fc_lease_info{};
    out->state = lease_state_of(s.state);
    out->leading = s.lease.leading;
    copy_field(out->holder, s.lease.holder);
    out->epoch = s.lease.epoch;
    out->expires_in_ms = s.lease.expires_in_ms;
    out->acquisitions = s.lease.acquisitions;
    out->losses = s.lease.losses;
    copy_field(out->lost_reason, fc::one_line(s.lease.lost_reason));
    copy_field(out->problem, fc::one_line(s.problem));
    out->stopped = s.stopped;
  });
}

int fc_lease_stop(fc_lease *lease, char *errbuf, size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(lease, "lease");
    lease->lease->stop();
  });
}

void fc_lease_free(fc_lease *lease) { delete lease; }

int fc_client_lease_read(fc_client *client, const char *version, fc_lease_reading *out, char *errbuf,
                         size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out, "out");
    std::optional<fc::Lease::Reading> r = client->client.read_lease(version);
    *out = fc_lease_reading{};
    if (!r) return;
    out->present = 1;
    copy_field(out->holder, r->record.holder);
    out->epoch = r->record.epoch;
    out->released = r->record.released;
    out->duration_ms = r->record.duration_ms;
    out->expires_in_ms = r->expires_in_ms;
    out->last_modified = r->object.last_modified;
    if (r->object.revision.size() >= sizeof out->revision) fc::fail(FC_ESTORAGE, "the lease's revision is too long");
    copy_field(out->revision, r->object.revision);
  });
}

int fc_client_lease_release(fc_client *client, const char *version, const fc_lease_reading *seen, char *errbuf,
                            size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(seen, "seen");
    if (!seen->present) fc::fail(FC_EINVAL, "there is no lease to release");
    fc::Lease::Reading reading;
    reading.record.holder = std::string(seen->holder, strnlen(seen->holder, sizeof seen->holder));
    reading.record.epoch = seen->epoch;
    reading.record.duration_ms = seen->duration_ms;
    reading.object.revision = std::string(seen->revision, strnlen(seen->revision, sizeof seen->revision));
    client->client.release_lease(version, reading);
  });
}

int fc_client_probe_conditional_writes(fc_client *client, const char *version, char **out_problem, char *errbuf,
                                       size_t errbuf_len) {
  return guarded(errbuf, errbuf_len, [&] {
    require(client, "client");
    require(version, "version");
    require(out_problem, "out_problem");
    *out_problem = nullptr;
    const std::string problem = client->client.probe_conditional_writes(version);
    if (!problem.empty()) *out_problem = dup_string(problem);
  });
}

-- Generated from native/include/fallback_config.h by scripts/gen_cdefs.lua: do not edit.
return [[
enum { FC_ERRBUF_LEN = 512 };

typedef enum fc_status {
  FC_OK = 0,
  FC_EINVAL = 1,
  FC_ENOTFOUND = 2,
  FC_EAUTH = 3,
  FC_ESTORAGE = 4,
  FC_ENETWORK = 5,
  FC_EIO = 6,
  FC_EPRECONDITION = 7,
  FC_EINTERNAL = 8,
  FC_ELEASE = 9
} fc_status;

typedef struct fc_settings fc_settings;
typedef struct fc_client fc_client;

const char *fc_version(void);

const char *fc_status_name(int status);

void fc_free(void *p);

typedef enum fc_setting_kind {
  FC_SETTING_TEXT = 0,
  FC_SETTING_PATH = 1,
  FC_SETTING_URL = 2,
  FC_SETTING_STORAGE = 3,
  FC_SETTING_JSON = 4,
  FC_SETTING_ON_OFF = 5,
  FC_SETTING_AWS_BOOLEAN = 6,
  FC_SETTING_SECONDS = 7,
  FC_SETTING_INTEGER = 8
} fc_setting_kind;

enum { FC_SETTING_MAX_VARIABLES = 4 };

typedef struct fc_setting_info {
  const char *name;
  const char *variables[FC_SETTING_MAX_VARIABLES];
  const char *flag;
  const char *plugin_field;
  const char *value_name;
  const char *default_value;
  const char *help;
  int kind;
  double min, max;
  int secret;
  int plugin_only;
} fc_setting_info;

const fc_setting_info *fc_setting_info_at(size_t index);

fc_settings *fc_settings_new(void);
void fc_settings_free(fc_settings *settings);
int fc_settings_set(fc_settings *settings, const char *name, const char *value,
                           char *errbuf, size_t errbuf_len);

int fc_settings_set_from(fc_settings *settings, const char *name, const char *value, const char *source,
                                char *errbuf, size_t errbuf_len);

int fc_settings_set_env(fc_settings *settings, const char *variable, const char *value,
                               char *errbuf, size_t errbuf_len);

int fc_settings_load_env(fc_settings *settings, char *errbuf, size_t errbuf_len);

int fc_settings_get(const fc_settings *settings, const char *name, char **out_value, char **out_source,
                           char *errbuf, size_t errbuf_len);

int fc_client_new(const fc_settings *settings, fc_client **out,
                         char *errbuf, size_t errbuf_len);
void fc_client_free(fc_client *client);

int fc_client_config_key(const fc_client *client, const char *version, char **out_key,
                                char *errbuf, size_t errbuf_len);

int fc_client_config_url(const fc_client *client, const char *version, char **out_url,
                                char *errbuf, size_t errbuf_len);

int fc_client_put(fc_client *client, const char *version, const char *data, size_t len,
                         char *errbuf, size_t errbuf_len);

int fc_client_put_file(fc_client *client, const char *version, const char *path,
                              char *errbuf, size_t errbuf_len);

int fc_client_put_file_if_generation(fc_client *client, const char *version, const char *path,
                                            const char *generation, char *errbuf, size_t errbuf_len);

int fc_client_get(fc_client *client, const char *version, char **out_data,
                         size_t *out_len, char *errbuf, size_t errbuf_len);

int fc_client_get_file(fc_client *client, const char *version, const char *path,
                              char *errbuf, size_t errbuf_len);

int fc_client_get_fd(fc_client *client, const char *version, int fd,
                            char *errbuf, size_t errbuf_len);

int fc_client_delete(fc_client *client, const char *version,
                            char *errbuf, size_t errbuf_len);

int fc_client_credentials_source(fc_client *client, char **out_provider, char **out_key_hint,
                                        int64_t *out_expires_at, char *errbuf, size_t errbuf_len);

int fc_client_tls_verify(const fc_client *client);

typedef struct fc_object_info {
  char *key;
  char *version;
  uint64_t size;
  int64_t last_modified;
  char *etag;
  char *uploader;
  char *generation;
  char *sha256;
  char *epoch;
} fc_object_info;

int fc_client_stat(fc_client *client, const char *version, fc_object_info **out,
                          char *errbuf, size_t errbuf_len);
void fc_object_info_free(fc_object_info *info);

int fc_client_list(fc_client *client, fc_object_info **out_items, size_t *out_count,
                          char *errbuf, size_t errbuf_len);
void fc_object_list_free(fc_object_info *items, size_t count);

int fc_client_newest_version(fc_client *client, char **out_version,
                                    char *errbuf, size_t errbuf_len);

typedef struct fc_job fc_job;

enum { FC_JOB_RUNNING = -1 };

int fc_client_put_async(fc_client *client, const char *version, const char *data, size_t len,
                               fc_job **out, char *errbuf, size_t errbuf_len);

int fc_client_put_async_serialized(fc_client *client, const char *version, const char *data, size_t len,
                                          fc_job **out, char *errbuf, size_t errbuf_len);

int fc_client_get_async(fc_client *client, const char *version, fc_job **out,
                               char *errbuf, size_t errbuf_len);

int fc_job_status(fc_job *job, char *errbuf, size_t errbuf_len);

int fc_job_take_data(fc_job *job, char **out_data, size_t *out_len, char *errbuf, size_t errbuf_len);

int fc_job_sha256(fc_job *job, char *out, size_t out_len, char *errbuf, size_t errbuf_len);

int fc_client_export_kong_lmdb_async(fc_client *client, const char *version, const char *plan,
                                            size_t plan_len, const char *unless_hash, const char *helper_path,
                                            fc_job **out, char *errbuf, size_t errbuf_len);

typedef enum fc_kong_export_outcome {
  FC_KONG_EXPORT_UPLOADED = 0,
  FC_KONG_EXPORT_EMPTY = 1,
  FC_KONG_EXPORT_UNCHANGED = 2
} fc_kong_export_outcome;

typedef struct fc_kong_export_info {
  int read;
  int outcome;
  char kong_hash[65];
  uint64_t entities;
  uint64_t bytes;
} fc_kong_export_info;

int fc_job_kong_export(fc_job *job, fc_kong_export_info *out, char *errbuf, size_t errbuf_len);

void fc_job_free(fc_job *job);

typedef struct fc_lease fc_lease;

typedef enum fc_lease_state {
  FC_LEASE_STARTING = 0,
  FC_LEASE_FOLLOWER = 1,
  FC_LEASE_LEADER = 2,
  FC_LEASE_UNSUPPORTED = 3,
  FC_LEASE_EE_ELECTED = 4,
  FC_LEASE_EE_STANDBY = 5
} fc_lease_state;

typedef struct fc_lease_info {
  int state;
  int leading;
  char holder[257];
  uint64_t epoch;
  int64_t expires_in_ms;
  uint64_t acquisitions;
  uint64_t losses;
  char lost_reason[FC_ERRBUF_LEN];
  char problem[FC_ERRBUF_LEN];
  int stopped;
} fc_lease_info;

int fc_client_lease_start(fc_client *client, const char *version, int64_t duration_ms, int64_t renew_ms,
                                 int64_t ee_interval_ms, fc_lease **out, char *errbuf, size_t errbuf_len);

int fc_lease_info_get(fc_lease *lease, fc_lease_info *out, char *errbuf, size_t errbuf_len);

void fc_lease_free(fc_lease *lease);

int fc_lease_stop(fc_lease *lease, char *errbuf, size_t errbuf_len);

typedef struct fc_lease_reading {
  int present;
  char holder[257];
  uint64_t epoch;
  int released;
  int64_t duration_ms;
  int64_t expires_in_ms;
  int64_t last_modified;
  char revision[257];
} fc_lease_reading;

int fc_client_lease_read(fc_client *client, const char *version, fc_lease_reading *out, char *errbuf,
                                size_t errbuf_len);

int fc_client_lease_release(fc_client *client, const char *version, const fc_lease_reading *seen,
                                   char *errbuf, size_t errbuf_len);

int fc_client_probe_conditional_writes(fc_client *client, const char *version, char **out_problem,
                                              char *errbuf, size_t errbuf_len);

typedef struct fc_sign_options {
  const char *region;
  const char *service;
  const char *time;
  int s3;
  int normalize_path;
} fc_sign_options;

typedef struct fc_sign_result {
  char *canonical_request;
  char *string_to_sign;
  char *signed_headers;
  char *authorization;
} fc_sign_result;

int fc_sign_raw_request(const fc_settings *settings, const char *raw, size_t raw_len,
                               const fc_sign_options *options, fc_sign_result **out,
                               char *errbuf, size_t errbuf_len);
void fc_sign_result_free(fc_sign_result *result);
]]

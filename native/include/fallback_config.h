/*
 * libfallback_config: the C ABI of kong-fallback-config.
 *
 * Conventions (shared with the LuaJIT FFI bindings and the CLI):
 *  - Handles are opaque; create with *_new, release with the matching *_free.
 *  - Every fallible call returns an fc_status and, on failure, writes a one-line,
 *    NUL-terminated message into the caller's errbuf (truncated to errbuf_len).
 *    Messages never contain secret keys, session tokens or private keys.
 *  - Buffers and strings returned through out-parameters are owned by the caller
 *    and released with fc_free (or the named *_free function for structures).
 *  - One fc_client may be used by many threads at once. An fc_settings object
 *    must not be changed from two threads at once (build it, then share it).
 *  - libcurl is initialised once, on first use; a host process that also uses
 *    libcurl should call curl_global_init itself before starting threads.
 *  - No C++ exception crosses this interface.
 */
#ifndef FALLBACK_CONFIG_H
#define FALLBACK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FC_API __attribute__((visibility("default")))
#else
#define FC_API
#endif

enum { FC_ERRBUF_LEN = 512 };

typedef enum fc_status {
  FC_OK = 0,
  FC_EINVAL = 1,        /* a setting or an input is invalid; nothing was sent */
  FC_ENOTFOUND = 2,     /* no configuration object at the key */
  FC_EAUTH = 3,         /* the storage refused the credentials or the signature */
  FC_ESTORAGE = 4,      /* the storage answered with another error */
  FC_ENETWORK = 5,      /* the storage could not be reached or the transfer broke */
  FC_EIO = 6,           /* a local file could not be read or written */
  FC_EPRECONDITION = 7, /* a conditional request's precondition failed */
  FC_EINTERNAL = 8,     /* a bug or an out-of-memory condition */
  FC_ELEASE = 9         /* this node does not hold the export lease (or just lost it): nothing was written */
} fc_status;

typedef struct fc_settings fc_settings;
typedef struct fc_client fc_client;

/* Library version, e.g. "0.1.0". Static storage. */
FC_API const char *fc_version(void);

/* Short, stable name of a status, e.g. "ENOTFOUND". Static storage. */
FC_API const char *fc_status_name(int status);

/* Releases a string or buffer returned by this library. NULL is allowed. */
FC_API void fc_free(void *p);

/* ---- settings ---------------------------------------------------------- */

/*
 * Every setting is described once, in the library's table of settings: its
 * name, the environment variables it is read from (highest precedence first),
 * the CLI's flag, the plugin config field, its default, kind, limits and one
 * line of help. fc_setting_info_at enumerates it; the CLI's flags and help,
 * the plugin's environment capture and docs/configuration.md come from it.
 */
typedef enum fc_setting_kind {
  FC_SETTING_TEXT = 0,        /* one line of text */
  FC_SETTING_PATH = 1,        /* a file path (one line) */
  FC_SETTING_URL = 2,         /* an http:// or https:// URL with a host, no credentials */
  FC_SETTING_STORAGE = 3,     /* a storage URL: s3://, gcs:// or file:/// */
  FC_SETTING_JSON = 4,        /* a JSON object */
  FC_SETTING_ON_OFF = 5,      /* on or off (true or false), in any case */
  FC_SETTING_AWS_BOOLEAN = 6, /* "true" in any case is true, anything else false, as the AWS SDKs read it */
  FC_SETTING_SECONDS = 7,     /* a decimal number of seconds within [min, max] (millisecond resolution) */
  FC_SETTING_INTEGER = 8      /* a whole number within [min, max] */
} fc_setting_kind;

enum { FC_SETTING_MAX_VARIABLES = 4 };

typedef struct fc_setting_info {
  const char *name;                                /* fc_settings_set's name, e.g. "connect_timeout" */
  const char *variables[FC_SETTING_MAX_VARIABLES]; /* highest precedence first, NULL after the last */
  const char *flag;                                /* the CLI's flag without "--", or NULL */
  const char *plugin_field;                        /* the plugin config's field (config.<field>), or NULL */
  const char *value_name;                          /* the value in help texts, e.g. "SECONDS" */
  const char *default_value;                       /* as text, or NULL when unset by default */
  const char *help;                                /* one line */
  int kind;                                        /* fc_setting_kind */
  double min, max;                                 /* limits of the SECONDS and INTEGER kinds */
  int secret;                                      /* never printed, logged or read back */
  int plugin_only;                                 /* the plugin's own; the library only checks it */
} fc_setting_info;

/* The table, in a fixed order; NULL past the end. Static storage. */
FC_API const fc_setting_info *fc_setting_info_at(size_t index);

/*
 * A settings object holds values by setting name. An empty value unsets a
 * setting (back to its default). Errors name where the value came from: the
 * environment variable, the caller's `source` (a CLI flag, a plugin config
 * field), else the setting's name; they never contain a secret value.
 */
FC_API fc_settings *fc_settings_new(void);
FC_API void fc_settings_free(fc_settings *settings);
FC_API int fc_settings_set(fc_settings *settings, const char *name, const char *value,
                           char *errbuf, size_t errbuf_len);
/* Like fc_settings_set; errors name `source` (NULL: the setting's name). */
FC_API int fc_settings_set_from(fc_settings *settings, const char *name, const char *value, const char *source,
                                char *errbuf, size_t errbuf_len);
/*
 * Sets what an environment variable of the table says (an empty value is
 * ignored, as unset). A variable of lower precedence never replaces a value
 * from one of higher precedence, nor one set explicitly, whatever the order of
 * the calls; its value is checked all the same. FC_EINVAL for a variable the
 * table does not know.
 */
FC_API int fc_settings_set_env(fc_settings *settings, const char *variable, const char *value,
                               char *errbuf, size_t errbuf_len);
/* fc_settings_set_env for every variable of the table that this process's environment sets. */
FC_API int fc_settings_load_env(fc_settings *settings, char *errbuf, size_t errbuf_len);
/*
 * A setting's value in canonical form ("on", "2.5", ...), its default when
 * unset, NULL when it has neither; and where it came from (the variable, the
 * source, the name), NULL for a default. Release both with fc_free; either
 * out-pointer may be NULL. A secret's value is never read back: FC_EINVAL.
 */
FC_API int fc_settings_get(const fc_settings *settings, const char *name, char **out_value, char **out_source,
                           char *errbuf, size_t errbuf_len);

/* ---- client ------------------------------------------------------------ */

/* Validates the settings and creates a client. The settings may be freed after. */
FC_API int fc_client_new(const fc_settings *settings, fc_client **out,
                         char *errbuf, size_t errbuf_len);
FC_API void fc_client_free(fc_client *client);

/* The storage key of a gateway version's configuration: <prefix>/<version>/config.json. */
FC_API int fc_client_config_key(const fc_client *client, const char *version, char **out_key,
                                char *errbuf, size_t errbuf_len);

/* The display URL of a version's configuration, e.g. s3://bucket/prefix/3.9.0.0/config.json. */
FC_API int fc_client_config_url(const fc_client *client, const char *version, char **out_url,
                                char *errbuf, size_t errbuf_len);

/*
 * Uploads a declarative configuration. data must be a JSON object; anything else is
 * refused before a byte is sent, so a stored backup is never replaced by garbage.
 * The buffer is read in place (not copied) and must stay valid until the call returns.
 */
FC_API int fc_client_put(fc_client *client, const char *version, const char *data, size_t len,
                         char *errbuf, size_t errbuf_len);

/* Like fc_client_put, streaming the file from disk (constant memory). */
FC_API int fc_client_put_file(fc_client *client, const char *version, const char *path,
                              char *errbuf, size_t errbuf_len);

/*
 * Like fc_client_put_file, stored only if the object's current generation is
 * `generation` ("0": only if there is none); else FC_EPRECONDITION and nothing
 * changes. GCS only (its ifGenerationMatch); FC_EINVAL for other storages.
 */
FC_API int fc_client_put_file_if_generation(fc_client *client, const char *version, const char *path,
                                            const char *generation, char *errbuf, size_t errbuf_len);

/* Downloads a version's configuration into a new buffer (release with fc_free). */
FC_API int fc_client_get(fc_client *client, const char *version, char **out_data,
                         size_t *out_len, char *errbuf, size_t errbuf_len);

/*
 * Downloads into a file: the bytes are streamed to a temporary file beside path,
 * renamed over path only when the download is complete (not fsynced: after a
 * power loss the file may be empty, never partial).
 */
FC_API int fc_client_get_file(fc_client *client, const char *version, const char *path,
                              char *errbuf, size_t errbuf_len);

/* Downloads into an open file descriptor (for stdout); nothing is written on error statuses. */
FC_API int fc_client_get_fd(fc_client *client, const char *version, int fd,
                            char *errbuf, size_t errbuf_len);

FC_API int fc_client_delete(fc_client *client, const char *version,
                            char *errbuf, size_t errbuf_len);

/*
 * S3 storage: which credential provider of the chain answered (environment,
 * shared files, web identity, ECS container, EC2 instance profile), the access
 * key id masked but for its last four characters, and when the credentials
 * expire (unix seconds, 0: never). Looks them up if needed. Never returns a secret.
 */
FC_API int fc_client_credentials_source(fc_client *client, char **out_provider, char **out_key_hint,
                                        int64_t *out_expires_at, char *errbuf, size_t errbuf_len);

/*
 * 1 when the client verifies https certificates and host names (always, unless
 * the tls_verify setting is off), 0 when not: callers warn on every use then.
 * 0 for a NULL client.
 */
FC_API int fc_client_tls_verify(const fc_client *client);

typedef struct fc_object_info {
  char *key;             /* storage key, relative to the bucket (or the file root) */
  char *version;         /* the gateway version segment, or NULL for other objects */
  uint64_t size;         /* bytes */
  int64_t last_modified; /* unix time in seconds, -1 when unknown */
  char *etag;            /* may be NULL */
  char *uploader;        /* node id of the uploader, may be NULL */
  char *generation;      /* GCS's object generation, NULL elsewhere */
  char *sha256;          /* hex SHA-256 of the content as stored with it (the name export and
                            import log lines give a configuration), NULL without it */
  char *epoch;           /* the export lease epoch of the node that wrote it, NULL without it */
} fc_object_info;

/* Metadata of a version's configuration object. Release with fc_object_info_free. */
FC_API int fc_client_stat(fc_client *client, const char *version, fc_object_info **out,
                          char *errbuf, size_t errbuf_len);
FC_API void fc_object_info_free(fc_object_info *info);

/* Every object under the prefix, sorted by key. Release with fc_object_list_free. */
FC_API int fc_client_list(fc_client *client, fc_object_info **out_items, size_t *out_count,
                          char *errbuf, size_t errbuf_len);
FC_API void fc_object_list_free(fc_object_info *items, size_t count);

/* The newest gateway version (by version number) that has a configuration. */
FC_API int fc_client_newest_version(fc_client *client, char **out_version,
                                    char *errbuf, size_t errbuf_len);

/* ---- jobs: transfers off the caller's thread ------------------------------- */

/*
 * An event loop (nginx) must not wait for the network: these calls queue the
 * transfer on the process's worker thread (started on first use, and again in a
 * child after fork) and return at once; poll with fc_job_status.
 */
typedef struct fc_job fc_job;

enum { FC_JOB_RUNNING = -1 };

/*
 * Queues an upload of `data`, read in place: the buffer must stay valid until
 * the job has finished or fc_job_free has returned, whichever comes first.
 */
FC_API int fc_client_put_async(fc_client *client, const char *version, const char *data, size_t len,
                               fc_job **out, char *errbuf, size_t errbuf_len);
/*
 * Like fc_client_put_async, for a configuration serialized by LuaJIT's
 * string.buffer in the exporter's framing (see src/config/serialized_config.h):
 * the worker thread turns it into JSON, so the event loop that serialized it
 * never pays for JSON encoding. Tables become JSON as lua-cjson writes them.
 */
FC_API int fc_client_put_async_serialized(fc_client *client, const char *version, const char *data, size_t len,
                                          fc_job **out, char *errbuf, size_t errbuf_len);
/* Queues a download; fetch the bytes with fc_job_take_data once it has finished. */
FC_API int fc_client_get_async(fc_client *client, const char *version, fc_job **out,
                               char *errbuf, size_t errbuf_len);
/* FC_JOB_RUNNING while the job runs; then its status, with its message in errbuf. Never blocks. */
FC_API int fc_job_status(fc_job *job, char *errbuf, size_t errbuf_len);
/* Moves a finished download's bytes out (release with fc_free). */
FC_API int fc_job_take_data(fc_job *job, char **out_data, size_t *out_len, char *errbuf, size_t errbuf_len);
/*
 * The SHA-256 (64 lowercase hex digits and a NUL, so out_len >= 65) of the
 * configuration a finished job uploaded or downloaded: the one name of a
 * configuration that every node and the stored object agree on.
 */
FC_API int fc_job_sha256(fc_job *job, char *out, size_t out_len, char *errbuf, size_t errbuf_len);
/* ---- exports straight from a DB-less Kong node's LMDB ---------------------- */

/*
 * Reads a DB-less Kong node's configuration from its LMDB (Kong 3.4 and later
 * layouts) in a helper process, in one read transaction, and uploads it like
 * fc_client_put_async: the proxying event loop neither reads nor encodes it.
 * The helper is fallback-config-lmdb-export beside this library, or
 * `helper_path` if not NULL. `plan` is JSON naming the LMDB and the entity
 * types to export (see src/config/kong_export_plan.h); an invalid plan fails
 * here with FC_EINVAL. Not uploaded: Kong's empty configuration (nothing but
 * workspaces), and a snapshot whose Kong hash equals `unless_hash` (if not
 * NULL); fc_job_kong_export says which.
 */
FC_API int fc_client_export_kong_lmdb_async(fc_client *client, const char *version, const char *plan,
                                            size_t plan_len, const char *unless_hash, const char *helper_path,
                                            fc_job **out, char *errbuf, size_t errbuf_len);

typedef enum fc_kong_export_outcome {
  FC_KONG_EXPORT_UPLOADED = 0,
  FC_KONG_EXPORT_EMPTY = 1,    /* Kong's empty configuration: not uploaded */
  FC_KONG_EXPORT_UNCHANGED = 2 /* the snapshot's hash is unless_hash: not uploaded */
} fc_kong_export_outcome;

typedef struct fc_kong_export_info {
  int read;             /* 1 once the snapshot was read: a failure after it is the upload's */
  int outcome;          /* an fc_kong_export_outcome, when the job succeeded */
  char kong_hash[65];   /* declarative_config:hash in the snapshot; "" when absent */
  uint64_t entities;    /* rows exported */
  uint64_t bytes;       /* of the configuration's JSON */
} fc_kong_export_info;

/* What a finished export job read and did; its status is the job's own (fc_job_status). */
FC_API int fc_job_kong_export(fc_job *job, fc_kong_export_info *out, char *errbuf, size_t errbuf_len);

/*
 * Releases the caller's handle. A job still running finishes on its own (an
 * upload stops reading the caller's buffer and fails); its client stays alive
 * until then, even if fc_client_free was called.
 */
FC_API void fc_job_free(fc_job *job);

/* ---- the export lease: one exporter among several backup nodes ------------- */

/*
 * A lease per version prefix (<prefix>/<version>/lease.json), taken with a
 * create-only write and renewed with writes conditional on its last revision;
 * it expires by the store's clock. While a node holds it, the client's writes
 * of that version's configuration are fenced: conditional on the revision the
 * node last wrote or read, with its epoch as metadata, so that a node that
 * lost the lease can never replace a newer configuration (FC_ELEASE instead).
 */
typedef struct fc_lease fc_lease;

typedef enum fc_lease_state {
  FC_LEASE_STARTING = 0,   /* probing that the store honours conditional writes */
  FC_LEASE_FOLLOWER = 1,   /* another node holds the lease, or none does yet */
  FC_LEASE_LEADER = 2,     /* this node holds it (see `leading` for whether it is still valid here) */
  FC_LEASE_UNSUPPORTED = 3, /* the store ignores conditional writes: no lease, writes unfenced */
  FC_LEASE_EE_ELECTED = 4,  /* Kong EE's backup nodes share the prefix, and their election chose this node */
  FC_LEASE_EE_STANDBY = 5   /* Kong EE's backup nodes share the prefix, and their election chose another (`holder`) */
} fc_lease_state;

typedef struct fc_lease_info {
  int state;                     /* an fc_lease_state */
  int leading;                   /* 1 while this node holds a lease that has not run out */
  char holder[257];              /* node id of the holder as last read; "" for none */
  uint64_t epoch;                /* the holder's epoch */
  int64_t expires_in_ms;         /* the holder's time left (the store's clock for others'); -1 unknown */
  uint64_t acquisitions;         /* times this node took the lease */
  uint64_t losses;               /* times it lost it to another node */
  char lost_reason[FC_ERRBUF_LEN]; /* why the last loss */
  char problem[FC_ERRBUF_LEN];   /* the last round's failure ("" after a good round), or why unsupported */
  int stopped;                   /* 1 once fc_lease_stop's work is done (a held lease released) */
} fc_lease_info;

/*
 * Starts competing for the export lease of a version, as the client's node
 * id (the uploader setting), on a thread of its own: first a probe of the
 * store's conditional writes, then a round every renew_ms. Returns at once.
 * The client's writes of the version's configuration are fenced from now on.
 * With ee_interval_ms > 0 (Kong EE's DP_RESILIENCE_ELECTION_INTERVAL), each
 * round also looks for Kong EE's election registrations under
 * <prefix>/<version>/election/: while another node's are live, this node
 * registers as EE's nodes do and obeys their election (FC_LEASE_EE_*),
 * writing unfenced as they do.
 */
FC_API int fc_client_lease_start(fc_client *client, const char *version, int64_t duration_ms, int64_t renew_ms,
                                 int64_t ee_interval_ms, fc_lease **out, char *errbuf, size_t errbuf_len);
/* What the lease's last round found. Never blocks on the store. */
FC_API int fc_lease_info_get(fc_lease *lease, fc_lease_info *out, char *errbuf, size_t errbuf_len);
/* Stops competing and returns at once; a held lease is released in the background. */
FC_API void fc_lease_free(fc_lease *lease);
/* Like fc_lease_free, keeping the handle: fc_lease_info_get tells when it is done (`stopped`). */
FC_API int fc_lease_stop(fc_lease *lease, char *errbuf, size_t errbuf_len);

typedef struct fc_lease_reading {
  int present;           /* 0: no lease object (free) */
  char holder[257];      /* "" when released */
  uint64_t epoch;
  int released;
  int64_t duration_ms;
  int64_t expires_in_ms; /* by the store's clock; <= 0: expired or released (free) */
  int64_t last_modified; /* unix seconds, the store's */
  char revision[257];    /* the lease object's ETag or generation, which a release is conditional on */
} fc_lease_reading;

/* The version's lease as the store has it (fallback-config lease). */
FC_API int fc_client_lease_read(fc_client *client, const char *version, fc_lease_reading *out, char *errbuf,
                                size_t errbuf_len);
/*
 * Marks the version's lease released, by hand: another node may take it at
 * once. Conditional on the lease being what `seen` read (FC_EPRECONDITION if
 * it changed). A holder still alive notices at its next renewal.
 */
FC_API int fc_client_lease_release(fc_client *client, const char *version, const fc_lease_reading *seen,
                                   char *errbuf, size_t errbuf_len);

/*
 * Whether the store honours conditional writes (writes, rewrites and removes
 * a scratch object beside the version's configuration): *out_problem is NULL
 * when it does, else one line naming the store and what it ignored (release
 * with fc_free). A failure to ask is the call's own status.
 */
FC_API int fc_client_probe_conditional_writes(fc_client *client, const char *version, char **out_problem,
                                              char *errbuf, size_t errbuf_len);

/* ---- debugging: SigV4 ----------------------------------------------------- */

typedef struct fc_sign_options {
  const char *region;  /* NULL or "": the settings' region */
  const char *service; /* required, e.g. "s3" */
  const char *time;    /* ISO 8601, e.g. 2013-05-24T00:00:00Z or 20130524T000000Z; NULL or "": now */
  int s3;              /* 1: S3 rules; 0: the generic rules other AWS services use */
  int normalize_path;  /* generic rules only: 1 to normalise the path (the default) */
} fc_sign_options;

typedef struct fc_sign_result {
  char *canonical_request;
  char *string_to_sign;
  char *signed_headers; /* "x-amz-date: ...\n" lines the signer added, then Authorization */
  char *authorization;  /* the Authorization header value */
} fc_sign_result;

/*
 * Signs a raw HTTP/1.1 request (request line, headers, blank line, body) with the
 * credentials in settings. Every header present is signed (folded lines joined);
 * x-amz-date (and with s3, x-amz-content-sha256) is added. S3 rules sign the
 * decoded path encoded once; the generic rules the path as written, normalised
 * unless normalize_path is 0, encoded once more. Release the result with
 * fc_sign_result_free.
 */
FC_API int fc_sign_raw_request(const fc_settings *settings, const char *raw, size_t raw_len,
                               const fc_sign_options *options, fc_sign_result **out,
                               char *errbuf, size_t errbuf_len);
FC_API void fc_sign_result_free(fc_sign_result *result);

#ifdef __cplusplus
}
#endif

#endif /* FALLBACK_CONFIG_H */

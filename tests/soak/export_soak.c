/*
 * Soak driver: the plugin's export and import paths, many times over, through
 * the public C ABI only (fallback_config.h), the way the Lua plugin drives it
 * (lua/kong/plugins/fallback-config/native.lua, exporter.lua, importer.lua):
 *
 *   every cycle   a fresh copy of a configuration serialized by the plugin's
 *                 serializer (string.buffer framing) is uploaded with
 *                 fc_client_put_async_serialized; the job is polled with
 *                 fc_job_status and a 1 ms .. 100 ms back-off (job:wait), its
 *                 SHA-256 taken (fc_job_sha256), the job freed, then the
 *                 copy freed (exporter: job:close(), then buf:free());
 *   every N       a download (importer: fc_client_get_async + take_data),
 *                 compared with the first one, and a download of a version
 *                 that has no configuration (ENOTFOUND, the error path);
 *   every M       the client is replaced (the plugin's config changed).
 *
 * Memory is checked by the caller: LeakSanitizer or valgrind at exit, and the
 * resident set size, which this program prints after the warm-up cycle and
 * after the last one, failing when it grew by more than --max-rss-growth-kb.
 *
 * Usage: export_soak --storage URL --payload FILE [--cycles N] [--download-every N]
 *        [--new-client-every N] [--version V] [--warmup N] [--max-rss-growth-kb KB]
 *        [--env]   (read Kong's and AWS's environment variables first, for RGW)
 * Exit status: 0 ok, 1 a check failed, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fallback_config.h"

static const char *g_storage;
static const char *g_version = "3.9.1.0";
static int g_use_env;

static void sleep_seconds(double s) {
  struct timespec ts;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kb(void) {
  long pages_total = 0, pages_resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = -1;
  fclose(f);
  return pages_resident < 0 ? -1 : pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void die(const char *what, int status, const char *err) {
  fprintf(stderr, "export_soak: %s: %s (%s)\n", what, err, fc_status_name(status));
  exit(1);
}

static fc_client *new_client(void) {
  char err[FC_ERRBUF_LEN];
  fc_settings *s = fc_settings_new();
  fc_client *c = NULL;
  int rc;
  if (!s) die("fc_settings_new", FC_EINTERNAL, "out of memory");
  if (g_use_env && (rc = fc_settings_load_env(s, err, sizeof err)) != FC_OK) die("fc_settings_load_env", rc, err);
  if ((rc = fc_settings_set(s, "storage", g_storage, err, sizeof err)) != FC_OK) die("storage", rc, err);
  if ((rc = fc_settings_set(s, "uploader", "soak-node-0000", err, sizeof err)) != FC_OK) die("uploader", rc, err);
  rc = fc_client_new(s, &c, err, sizeof err);
  fc_settings_free(s); /* at once, as native.lua does: it holds the credentials */
  if (rc != FC_OK) die("fc_client_new", rc, err);
  return c;
}

/* job:wait(ngx.sleep): poll without blocking, 1 ms doubling to 100 ms. */
static int wait_job(fc_job *job, char *err, size_t err_len) {
  double delay = 0.001;
  for (;;) {
    int st = fc_job_status(job, err, err_len);
    if (st != FC_JOB_RUNNING) return st;
    sleep_seconds(delay);
    delay = delay * 2 < 0.1 ? delay * 2 : 0.1;
  }
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *data;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  data = malloc((size_t)size + 1);
  if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *len = (size_t)size;
  return data;
}

static void export_once(fc_client *client, const char *payload, size_t len) {
  char err[FC_ERRBUF_LEN];
  fc_job *job = NULL;
  char sha[65];
  int rc;
  char *buf = malloc(len); /* a fresh string.buffer per export */
  if (!buf) die("malloc", FC_EINTERNAL, "out of memory");
  memcpy(buf, payload, len);
  rc = fc_client_put_async_serialized(client, g_version, buf, len, &job, err, sizeof err);
  if (rc != FC_OK) die("fc_client_put_async_serialized", rc, err);
  rc = wait_job(job, err, sizeof err);
  if (rc != FC_OK) die("upload job", rc, err);
  rc = fc_job_sha256(job, sha, sizeof sha, err, sizeof err);
  if (rc != FC_OK) die("fc_job_sha256", rc, err);
  if (strlen(sha) != 64) die("upload job", FC_EINTERNAL, "the SHA-256 is not 64 hex digits");
  fc_job_free(job);
  memset(buf, 0xee, len); /* buf:free(): a late reader would see garbage */
  free(buf);
}

/* Returns the downloaded bytes (the caller frees them with fc_free). */
static char *import_once(fc_client *client, const char *version, int expect, size_t *len) {
  char err[FC_ERRBUF_LEN];
  fc_job *job = NULL;
  char *data = NULL;
  int rc = fc_client_get_async(client, version, &job, err, sizeof err);
  if (rc != FC_OK) die("fc_client_get_async", rc, err);
  rc = wait_job(job, err, sizeof err);
  if (rc != expect) die("download job", rc, err);
  rc = fc_job_take_data(job, &data, len, err, sizeof err);
  if (rc != expect) die("fc_job_take_data", rc, err);
  fc_job_free(job);
  return data;
}

static long number(const char *flag, const char *value) {
  char *end;
  long n;
  if (!value) {
    fprintf(stderr, "export_soak: %s needs a value\n", flag);
    exit(2);
  }
  n = strtol(value, &end, 10);
  if (*end || n < 0) {
    fprintf(stderr, "export_soak: %s: not a number: %s\n", flag, value);
    exit(2);
  }
  return n;
}

int main(int argc, char **argv) {
  long cycles = 10000, download_every = 100, new_client_every = 1000, warmup = 1000, max_growth_kb = 8192;
  const char *payload_path = NULL;
  char *payload, *first = NULL;
  size_t payload_len = 0, first_len = 0;
  long rss_warm = -1, rss_end, i;
  double started;
  fc_client *client;

  for (i = 1; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--env")) { g_use_env = 1; continue; }
    if (!strcmp(a, "--storage")) g_storage = v;
    else if (!strcmp(a, "--payload")) payload_path = v;
    else if (!strcmp(a, "--version")) g_version = v;
    else if (!strcmp(a, "--cycles")) cycles = number(a, v);
    else if (!strcmp(a, "--download-every")) download_every = number(a, v);
    else if (!strcmp(a, "--new-client-every")) new_client_every = number(a, v);
    else if (!strcmp(a, "--warmup")) warmup = number(a, v);
    else if (!strcmp(a, "--max-rss-growth-kb")) max_growth_kb = number(a, v);
    else {
      fprintf(stderr, "export_soak: unknown argument %s\n", a);
      return 2;
    }
    ++i;
  }
  if (!g_storage || !payload_path || !g_version || cycles < 1) {
    fprintf(stderr, "usage: export_soak --storage URL --payload FILE [--cycles N] [--download-every N] "
                    "[--new-client-every N] [--version V] [--warmup N] [--max-rss-growth-kb KB] [--env]\n");
    return 2;
  }
  payload = read_file(payload_path, &payload_len);
  if (!payload) {
    fprintf(stderr, "export_soak: cannot read %s: %s\n", payload_path, strerror(errno));
    return 2;
  }

  started = now();
  client = new_client();
  for (i = 1; i <= cycles; ++i) {
    export_once(client, payload, payload_len);
    if (download_every && i % download_every == 0) {
      size_t len = 0;
      char *data = import_once(client, g_version, FC_OK, &len);
      if (!first) {
        first = data;
        first_len = len;
        if (len < 2 || data[0] != '{') die("download", FC_EINTERNAL, "the configuration is not a JSON object");
      } else {
        if (len != first_len || memcmp(data, first, len) != 0)
          die("download", FC_EINTERNAL, "the configuration differs from the first download");
        fc_free(data);
      }
      data = import_once(client, "0.0.0.0", FC_ENOTFOUND, &len);
      if (data) die("download of a missing version", FC_EINTERNAL, "returned data");
    }
    if (new_client_every && i % new_client_every == 0 && i < cycles) {
      fc_client_free(client);
      client = new_client();
    }
    if (i == warmup) rss_warm = rss_kb();
  }
  rss_end = rss_kb(); /* after the last cycle, with the client still in use */
  fc_client_free(client);
  fc_free(first);
  free(payload);

  printf("export_soak: %ld cycles of %zu serialized bytes in %.1f s; rss after cycle %ld: %ld KiB, at the end: %ld KiB",
         cycles, payload_len, now() - started, warmup, rss_warm, rss_end);
  if (rss_warm >= 0) printf(" (%+ld KiB)", rss_end - rss_warm);
  printf("\n");
  if (rss_warm >= 0 && max_growth_kb > 0 && rss_end - rss_warm > max_growth_kb) {
    fprintf(stderr, "export_soak: FAIL: the resident set grew by %ld KiB after the warm-up (limit %ld KiB)\n",
            rss_end - rss_warm, max_growth_kb);
    return 1;
  }
  return 0;
}

#include "http/transport.h"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <exception>

#include "http/response_headers.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc::http {

namespace {

constexpr size_t kMaxBufferedErrorBody = 1 << 20;
// Answers kept in memory (listings, metadata, tokens): a page of 1,000 keys is
// well under 1 MiB. A store that sends more is broken or hostile.
constexpr size_t kMaxBufferedBody = 16 << 20;
constexpr size_t kMaxIdleHandles = 4;

// Failures that asking again may cure: the store or the path to it was down,
// slow or cut off. Certificate problems, bad URLs and the like will not change.
bool transient(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool certificate_problem(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
         rc == CURLE_SSL_ISSUER_ERROR;
}

void global_init_once() {
  // curl_global_init is not thread-safe; do it once, before any handle exists.
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) fail(FC_EINTERNAL, "curl_global_init failed");
}

// State of one transfer, reached from libcurl's C callbacks.
struct Transfer {
  BodyReader *body = nullptr;
  Sink *sink = nullptr;
  CURL *curl = nullptr;
  Response response;
  std::exception_ptr error;  // a sink's exception, rethrown after curl returns
  // Stall detection: when a byte last moved either way.
  std::chrono::milliseconds stall_limit{0};
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  curl_off_t moved = 0;
  bool stalled = false;
};

// Ends a transfer that moved no byte for stall_limit. (libcurl's own low-speed
// limit averages over several seconds, so it fires late after a burst.)
int on_progress(void *userdata, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) noexcept {
  auto *t = static_cast<Transfer *>(userdata);
  const auto now = std::chrono::steady_clock::now();
  if (dlnow + ulnow != t->moved) {
    t->moved = dlnow + ulnow;
    t->last_progress = now;
    return 0;
  }
  if (now - t->last_progress < t->stall_limit) return 0;
  t->stalled = true;
  return 1;  // CURLE_ABORTED_BY_CALLBACK
}

size_t on_read(char *buffer, size_t size, size_t nitems, void *userdata) noexcept {
  auto *t = static_cast<Transfer *>(userdata);
  try {
    return t->body ? t->body->read(buffer, size * nitems) : 0;
  } catch (...) {
    t->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

// libcurl rewinds the body when it must resend it (a reused connection that
// turned out dead, or a 100-continue refusal); it only ever seeks to the start.
int on_seek(void *userdata, curl_off_t offset, int origin) noexcept {
  auto *t = static_cast<Transfer *>(userdata);
  if (origin != SEEK_SET || offset != 0 || !t->body) return CURL_SEEKFUNC_CANTSEEK;
  try {
    t->body->rewind();
    return CURL_SEEKFUNC_OK;
  } catch (...) {
    t->error = std::current_exception();
    return CURL_SEEKFUNC_FAIL;
  }
}

size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) noexcept {
  auto *t = static_cast<Transfer *>(userdata);
  size_t len = size * nmemb;
  try {
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    bool success = status >= 200 && status < 300;
    if (success && t->sink)
      t->sink->write(data, len);
    else if (success && t->response.body.size() + len > kMaxBufferedBody)
      fail(FC_ESTORAGE, "the answer is larger than " + std::to_string(kMaxBufferedBody >> 20) + " MiB");
    else if (success || t->response.body.size() < kMaxBufferedErrorBody)
      t->response.body.append(data, len);
    return len;
  } catch (...) {
    t->error = std::current_exception();
    return CURL_WRITEFUNC_ERROR;
  }
}

size_t on_header(char *data, size_t size, size_t nitems, void *userdata) noexcept {
  auto *t = static_cast<Transfer *>(userdata);
  size_t len = size * nitems;
  try {
    add_header_line(std::string_view(data, len), t->response.headers);
    return len;
  } catch (...) {
    t->error = std::current_exception();
    return 0;  // libcurl aborts the transfer
  }
}

}  // namespace

struct Transport::Handle {
  CURL *curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

std::string Response::header(std::string_view name) const {
  for (const auto &h : headers)
    if (h.first == name) return h.second;
  return {};
}

Transport::Transport(Options options) : options_(options) { global_init_once(); }

Transport::~Transport() = default;

std::unique_ptr<Transport::Handle> Transport::acquire() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;  // reset on release; live connections are kept
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  if (!h->curl) fail(FC_EINTERNAL, "curl_easy_init failed");
  return h;
}

void Transport::release(std::unique_ptr<Handle> handle) const {
  // Idle handles must not point at this request's buffers and callbacks' state.
  curl_easy_reset(handle->curl);
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

Response Transport::perform(const std::string &method, const std::string &url, const Headers &headers,
                            BodyReader *body, Sink *sink, long timeout_ms) const {
  std::unique_ptr<Handle> handle = acquire();
  CURL *curl = handle->curl;
  Transfer t;
  t.body = body;
  t.sink = sink;
  t.curl = curl;

  struct curl_slist *list = nullptr;
  for (const auto &[name, value] : headers) {
    std::string line = name + ": " + value;
    struct curl_slist *next = curl_slist_append(list, line.c_str());
    if (!next) {
      curl_slist_free_all(list);
      fail(FC_EINTERNAL, "out of memory building request headers");
    }
    list = next;
  }
  // libcurl adds "Accept: */*" unless told not to; it is not signed, so drop it.
  struct curl_slist *with_accept = curl_slist_append(list, "Accept:");
  if (!with_accept) {
    curl_slist_free_all(list);
    fail(FC_EINTERNAL, "out of memory building request headers");
  }
  list = with_accept;

  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // S3 keys may hold "./" and "//"
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  t.stall_limit = std::chrono::milliseconds(options_.stall_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  // Verification is libcurl's default; say so, so that no reset can lose it.
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  // Larger buffers than libcurl's defaults: fewer syscalls on multi-MB configs.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "kong-fallback-config/" FC_VERSION);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (method == "PUT" || method == "POST" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body ? body->size() : 0));
    if (method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());  // an upload is a PUT to libcurl
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.response.status);
  if (t.error) std::rethrow_exception(t.error);  // the handle is dropped: state unknown
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? one_line(errbuf) : curl_easy_strerror(rc);
    if (t.stalled)
      throw TransferError("no byte moved for " + std::to_string(options_.stall_timeout_ms) + " ms (stall timeout)", true);
    if (certificate_problem(rc))
      detail += options_.ca_bundle.empty()
                    ? " (the server's certificate is not trusted: name its CA with "
                      "KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE or AWS_CA_BUNDLE)"
                    : " (the server's certificate is not trusted by the CA bundle " + options_.ca_bundle + ")";
    throw TransferError(detail, transient(rc));
  }
  release(std::move(handle));
  return std::move(t.response);
}

std::string host_header_value(const std::string &scheme, const std::string &host, int port) {
  bool default_port = port <= 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? host : host + ":" + std::to_string(port);
}

}  // namespace fc::http

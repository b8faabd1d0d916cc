// HTTP over libcurl: one request in, status + headers + body out. Connections are
// kept in a small pool of easy handles so consecutive requests reuse them.
// Thread-safe: each perform() takes its own handle from the pool.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/body.h"
#include "http/headers.h"
#include "util/error.h"

namespace fc::http {

// Receives a successful (2xx) response body as it streams in.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const char *data, size_t len) = 0;  // throws fc::Error to abort
  // Forgets what was written, so that a failed transfer can be tried again;
  // false when that is impossible (bytes already went down a pipe).
  virtual bool restart() = 0;
};

// Collects a body in memory.
class StringSink : public Sink {
 public:
  std::string data;
  void write(const char *p, size_t n) override { data.append(p, n); }
  bool restart() override {
    data.clear();
    return true;
  }
};

// A transfer that ended without a complete response (FC_ENETWORK). Transient
// failures (refused, reset, timed out, DNS, truncated) may succeed if tried
// again; the others (an untrusted certificate, a malformed URL) will not.
class TransferError : public Error {
 public:
  TransferError(const std::string &message, bool transient) : Error(FC_ENETWORK, message), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

struct Response {
  long status = 0;
  Headers headers;   // names lowercased
  std::string body;  // error bodies, and 2xx bodies when no sink was given
  std::string header(std::string_view lowercase_name) const;
};

struct Options {
  long connect_timeout_ms = 5000;
  long stall_timeout_ms = 30000;  // a transfer that moves no byte this long ends
  std::string ca_bundle;          // PEM file of trusted CAs ("": the system's)
  bool verify_tls = true;         // false only when an operator said so explicitly
};

class Transport {
 public:
  explicit Transport(Options options);
  ~Transport();
  Transport(const Transport &) = delete;
  Transport &operator=(const Transport &) = delete;

  // Throws TransferError when no complete response arrives, or the error a
  // sink threw. HTTP error statuses are returned, not thrown. `body` is the
  // upload for PUT and POST (nullptr for none); `timeout_ms` bounds the whole
  // transfer (0: only the connect and stall limits).
  Response perform(const std::string &method, const std::string &url, const Headers &headers,
                   BodyReader *body, Sink *sink, long timeout_ms = 0) const;

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire() const;
  void release(std::unique_ptr<Handle> handle) const;

  Options options_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Handle>> idle_;
};

// "host" or "host:port" of a URL, as the Host header must carry it.
std::string host_header_value(const std::string &scheme, const std::string &host, int port);

}  // namespace fc::http

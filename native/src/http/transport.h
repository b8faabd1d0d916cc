// HTTP over libcurl: one request in, status + headers + body out. Connections are
// kept in a small pool of easy handles so consecutive requests reuse them.
// Thread-safe: each perform() takes its own handle from the pool.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "http/body.h"

namespace fc::http {

using Headers = sigv4::NameValues;

// Receives a successful (2xx) response body as it streams in.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const char *data, size_t len) = 0;  // throws fc::Error to abort
};

struct Response {
  long status = 0;
  Headers headers;   // names lowercased
  std::string body;  // error bodies, and 2xx bodies when no sink was given
  std::string header(std::string_view lowercase_name) const;
};

struct Options {
  long connect_timeout_ms = 5000;
  long stall_timeout_ms = 30000;
};

class Transport {
 public:
  explicit Transport(Options options);
  ~Transport();
  Transport(const Transport &) = delete;
  Transport &operator=(const Transport &) = delete;

  // Throws fc::Error(FC_ENETWORK) when no complete response arrives, or the
  // error a sink threw. HTTP error statuses are returned, not thrown.
  // `body` is the upload for PUT and POST (nullptr for none).
  Response perform(const std::string &method, const std::string &url, const Headers &headers,
                   BodyReader *body, Sink *sink) const;

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

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

namespace fc::http {

using Headers = sigv4::NameValues;

// Holds an upload back until the bytes it is about to send may go (for example,
// until a concurrent check has vouched for them).
class BodyGate {
 public:
  virtual ~BodyGate() = default;
  // Blocks until bytes [0, end) may be sent; throws fc::Error to abort the upload.
  virtual void wait_until_sendable(size_t end) = 0;
};

// The upload body: an in-memory buffer (read in place) or an open file.
struct Body {
  const char *data = nullptr;
  size_t size = 0;
  std::FILE *file = nullptr;  // when set, `size` bytes are read from its current position
  BodyGate *gate = nullptr;   // optional
  static Body none() { return {}; }
  static Body memory(const char *data, size_t size) { return {data, size, nullptr, nullptr}; }
  static Body from_file(std::FILE *file, size_t size, BodyGate *gate = nullptr) {
    return {nullptr, size, file, gate};
  }
};

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
  Response perform(const std::string &method, const std::string &url, const Headers &headers,
                   const Body &body, Sink *sink) const;

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

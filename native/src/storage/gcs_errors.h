// Turns a GCS JSON API error response into the one-line fc::Error an operator
// reads: method, URL, HTTP status, GCS's reason and message.
#pragma once

#include <string>

#include "http/transport.h"

namespace fc {

struct GcsErrorContext {
  std::string operation;  // JSON API method, e.g. objects.insert
  std::string url;        // gcs://bucket/key of the request
  bool object_request;    // a request on a key (404 means "no such config")
};

[[noreturn]] void throw_gcs_error(const GcsErrorContext &context, const http::Response &response);

}  // namespace fc

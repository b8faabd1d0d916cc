// Turns an S3 error response into the one-line fc::Error an operator reads:
// operation, URL, HTTP status, S3's code and message, request id, and a hint
// where one helps (the region to use, the clock, the secret).
#pragma once

#include <string>

#include "http/transport.h"

namespace fc {

struct S3ErrorContext {
  std::string operation;  // S3 API name, e.g. PutObject
  std::string url;        // s3://bucket/key of the request
  std::string bucket;
  std::string region;     // the region the request was signed for
  bool object_request;    // a request on a key (404 means "no such config")
};

[[noreturn]] void throw_s3_error(const S3ErrorContext &context, const http::Response &response);

}  // namespace fc

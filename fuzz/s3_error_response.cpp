// throw_s3_error(): an S3 error response (status, headers, XML body) turned
// into the one-line fc::Error an operator reads. Input: see error_response.h.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "error_response.h"
#include "storage/s3_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::ErrorResponse input = fuzz::read_error_response(std::string_view(reinterpret_cast<const char *>(data), size));
  fc::S3ErrorContext context{input.object_request ? "GetObject" : "ListObjectsV2",
                             input.object_request ? "s3://fuzz-bucket/kong/3.9.1.0/config.json" : "s3://fuzz-bucket/kong/",
                             "fuzz-bucket", "us-east-1", input.object_request};
  try {
    fc::throw_s3_error(context, input.response);
  } catch (const fc::Error &e) {
    fuzz::check_error(e, input.response.status, input.object_request, context.url);
  }
  return 0;
}

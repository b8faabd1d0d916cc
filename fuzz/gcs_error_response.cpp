// throw_gcs_error(): a GCS JSON API error response (status, headers, JSON body)
// turned into the one-line fc::Error an operator reads. Input: see
// error_response.h.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "error_response.h"
#include "storage/gcs_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::ErrorResponse input = fuzz::read_error_response(std::string_view(reinterpret_cast<const char *>(data), size));
  fc::GcsErrorContext context{input.object_request ? "objects.get" : "objects.list",
                              input.object_request ? "gcs://fuzz-bucket/kong/3.9.1.0/config.json" : "gcs://fuzz-bucket/kong/",
                              input.object_request};
  try {
    fc::throw_gcs_error(context, input.response);
  } catch (const fc::Error &e) {
    fuzz::check_error(e, input.response.status, input.object_request, context.url);
  }
  return 0;
}

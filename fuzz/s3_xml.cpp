// The two S3 XML documents the library reads: <Error> and ListObjectsV2's
// <ListBucketResult>. Input: the response body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "storage/s3_xml.h"
#include "util/error.h"

namespace {

bool is_one_line(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

// parse_s3_error() reports "not an error document" by returning false; it has
// no reason to throw, so nothing is caught.
void fuzz_error_document(std::string_view xml) {
  fc::S3Error err;
  if (!fc::parse_s3_error(xml, &err)) return;
  FUZZ_CHECK(!err.code.empty());
  // Every field ends up in a one-line message.
  FUZZ_CHECK(is_one_line(err.code) && is_one_line(err.message) && is_one_line(err.request_id) &&
             is_one_line(err.region) && is_one_line(err.endpoint));
}

void fuzz_listing(std::string_view xml) {
  fc::S3ListPage page;
  try {
    page = fc::parse_list_objects_v2(xml);
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_ESTORAGE);
    return;
  }
  // A truncated page must say where the next one starts, or listing would loop.
  FUZZ_CHECK(!page.truncated || !page.next_continuation_token.empty());
  for (const fc::ObjectInfo &object : page.objects) FUZZ_CHECK(!object.key.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view xml(reinterpret_cast<const char *>(data), size);
  fuzz_error_document(xml);
  fuzz_listing(xml);
  return 0;
}

// A response as libcurl delivers it: header lines one by one through
// add_header_line() (status lines, interim 1xx responses, redirects' blocks),
// then Response::header() lookups, then the S3 and GCS error mapping on the
// result. Input: the response bytes; lines end at '\n'; the body starts after
// the blank line that ends a final (non-1xx) block.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "error_response.h"
#include "http/response_headers.h"
#include "storage/gcs_errors.h"
#include "storage/s3_errors.h"
#include "util/strings.h"

namespace {

bool is_trimmed(std::string_view s) { return fc::trim(s).size() == s.size(); }

// The headers of the last block, as add_header_line() must have stored them.
void check_headers(const fc::http::Headers &headers, size_t colon_lines) {
  FUZZ_CHECK(headers.size() == colon_lines);
  for (const auto &[name, value] : headers) {
    FUZZ_CHECK(is_trimmed(name) && is_trimmed(value));
    FUZZ_CHECK(name == fc::to_lower(name));
    FUZZ_CHECK(name.find(':') == std::string::npos);
  }
}

// header() answers the first header of that name, or "" when there is none.
void check_lookup(const fc::http::Response &response, std::string_view name) {
  std::string expected;
  for (const auto &h : response.headers)
    if (h.first == name) {
      expected = h.second;
      break;
    }
  FUZZ_CHECK(response.header(name) == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view rest(reinterpret_cast<const char *>(data), size);
  fc::http::Response response;
  size_t colon_lines = 0;  // since the last status line
  while (!rest.empty()) {
    std::string_view line = fuzz::next_line(rest);
    fc::http::add_header_line(line, response.headers);
    if (fc::starts_with(line, "HTTP/")) {
      size_t space = line.find(' ');
      response.status = space == std::string_view::npos ? 0 : fuzz::leading_status(line.substr(space + 1));
      colon_lines = 0;
    } else if (line.find(':') != std::string_view::npos) {
      ++colon_lines;
    } else if (fc::trim(line).empty() && !(response.status >= 100 && response.status < 200)) {
      break;  // the end of a final response's headers
    }
  }
  response.body = std::string(rest);
  check_headers(response.headers, colon_lines);
  for (std::string_view name : {"x-amz-request-id", "x-amz-bucket-region", "etag", "content-type",
                                "x-goog-generation", "last-modified", "x-amz-meta-uploader", ""})
    check_lookup(response, name);
  if (!response.headers.empty()) check_lookup(response, response.headers.back().first);

  const std::string s3_url = "s3://fuzz-bucket/kong/3.9.1.0/config.json";
  try {
    fc::throw_s3_error({"HeadObject", s3_url, "fuzz-bucket", "us-east-1", true}, response);
  } catch (const fc::Error &e) {
    fuzz::check_error(e, response.status, true, s3_url);
  }
  const std::string gcs_url = "gcs://fuzz-bucket/kong/3.9.1.0/config.json";
  try {
    fc::throw_gcs_error({"objects.get", gcs_url, true}, response);
  } catch (const fc::Error &e) {
    fuzz::check_error(e, response.status, true, gcs_url);
  }
  return 0;
}

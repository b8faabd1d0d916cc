// What the S3 and GCS error targets share: reading a fuzz input as an HTTP
// error response, and the properties every error built from one must have.
//
// Input framing (readable seeds):
//   "<status> object|bucket\n"   the HTTP status; "object" for a request on a key
//   header lines ("Name: value\n"), as libcurl hands them over
//   "\n"
//   the body
#pragma once

#include <string>
#include <string_view>

#include "check.h"
#include "http/response_headers.h"
#include "http/transport.h"
#include "util/error.h"

namespace fuzz {

struct ErrorResponse {
  fc::http::Response response;
  bool object_request = false;
};

inline std::string_view next_line(std::string_view &rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
  rest.remove_prefix(line.size());
  return line;
}

// The leading digits of a status line field, at most three of them.
inline long leading_status(std::string_view s) {
  long status = 0;
  for (size_t i = 0; i < s.size() && i < 3 && s[i] >= '0' && s[i] <= '9'; ++i) status = status * 10 + (s[i] - '0');
  return status;
}

inline ErrorResponse read_error_response(std::string_view input) {
  ErrorResponse out;
  std::string_view first = next_line(input);
  out.response.status = leading_status(first);
  out.object_request = first.find("object") != std::string_view::npos;
  while (!input.empty()) {
    std::string_view line = next_line(input);
    if (line == "\n" || line == "\r\n") break;
    fc::http::add_header_line(line, out.response.headers);
  }
  out.response.body = std::string(input);
  return out;
}

inline bool is_one_line(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

// The status an error must carry for an HTTP status, whatever the body says,
// and a message an operator can read on one line.
inline void check_error(const fc::Error &e, long http_status, bool object_request, const std::string &url) {
  std::string_view message = e.what();
  FUZZ_CHECK(is_one_line(message));
  // Every message names the object or the request it is about.
  FUZZ_CHECK(message.find(url) != std::string_view::npos);
  switch (e.status()) {
    case FC_ENOTFOUND: FUZZ_CHECK(http_status == 404 && object_request); break;
    case FC_EAUTH: FUZZ_CHECK(http_status == 401 || http_status == 403); break;
    case FC_EPRECONDITION: FUZZ_CHECK(http_status == 412); break;
    case FC_ESTORAGE: FUZZ_CHECK(http_status != 401 && http_status != 403 && http_status != 412); break;
    default: violated("an unexpected fc_status for an HTTP error", __FILE__, __LINE__);
  }
}

}  // namespace fuzz

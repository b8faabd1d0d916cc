// Parses a raw HTTP/1.1 request (request line, headers, blank line, body), as an
// operator pastes it into `fallback-config sign`.
#pragma once

#include <string>
#include <string_view>

#include "auth/sigv4.h"

namespace fc {

struct RawRequest {
  sigv4::Request request;  // path and query decoded, headers as written
  std::string body;
};

// Throws fc::Error(FC_EINVAL) with the line at fault.
RawRequest parse_raw_request(std::string_view raw);

// Splits "a=1&b&c=%20" into decoded pairs ("b" has an empty value).
sigv4::NameValues parse_query_string(std::string_view query);

}  // namespace fc

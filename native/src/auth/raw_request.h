// Parses a raw HTTP/1.1 request (request line, headers, blank line, body), as an
// operator pastes it into `fallback-config sign`, into what the signer takes.
#pragma once

#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "http/headers.h"

namespace fc {

struct RawRequest {
  std::string method;
  std::string path;         // as it stands in the request line, not decoded
  http::NameValues query;   // decoded names and values, in order
  http::Headers headers;    // as written; folded continuation lines joined with a space
  std::string body;

  // The request the signer takes under `rules`: S3 signs the decoded key, the
  // generic rules the path as written. Throws FC_EINVAL for a bad
  // percent-escape in the path under S3 rules.
  sigv4::Request for_signing(sigv4::Rules rules) const;
};

// Throws fc::Error(FC_EINVAL) naming the line at fault, never echoing it.
RawRequest parse_raw_request(std::string_view raw);

// Splits "a=1&b&c=%20" into decoded pairs ("b" has an empty value).
http::NameValues parse_query_string(std::string_view query);

}  // namespace fc

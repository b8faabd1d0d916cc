// Collects a response's header lines as libcurl hands them over, one by one.
#pragma once

#include <string_view>

#include "http/headers.h"

namespace fc::http {

// Adds "Name: value\r\n" to headers (name lowercased, value trimmed). A status
// line starts a new response (after "100 Continue" or a redirect) and clears
// what came before; lines without a colon (the blank end line) are ignored.
void add_header_line(std::string_view line, Headers &headers);

}  // namespace fc::http

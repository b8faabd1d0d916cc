#include "http/response_headers.h"

#include "util/strings.h"

namespace fc::http {

void add_header_line(std::string_view line, Headers &headers) {
  if (starts_with(line, "HTTP/")) {
    headers.clear();
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  headers.emplace_back(to_lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
}

}  // namespace fc::http

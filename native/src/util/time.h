// UTC time parsing and formatting for SigV4 (basic ISO 8601) and listings.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace fc {

// Accepts 2013-05-24T00:00:00Z, 2013-05-24T00:00:00.000Z and 20130524T000000Z.
// Returns false on anything else (no partial parse).
bool parse_iso8601_utc(std::string_view text, std::time_t *out);
// The same, in milliseconds (a fraction's first three digits; more are cut).
bool parse_iso8601_utc_ms(std::string_view text, int64_t *out_ms);
// 20130524T000000Z
std::string format_amz_date(std::time_t t);
// 2013-05-24T00:00:00Z
std::string format_iso8601(std::time_t t);
// RFC 7231 HTTP-date (Last-Modified); -1 when it cannot be parsed.
std::time_t parse_http_date(const std::string &text);

}  // namespace fc
